/**
 * The simulator's cost model: how much virtual time a message's trip through each tier of a
 * node costs, what a remote hop's host-side work adds, and what a wake-up costs.
 *
 * A receipt costs the receiving process the transfer of the path the message took: it is busy
 * that long, so the delivery is stamped that much later, and its next step starts after it
 * (sim/process.ts). Messages from other nodes are handed to the receiver's core through L3 by the
 * network server, so they pay the L3 transfer; the network path itself pays `remote_hop_us` of
 * host work on top of the link's delay (sim_network.ts). Wake-ups are the scheduler's
 * `wake_us_min`/`wake_us_max` (sim_env.ts), drawn per wake.
 *
 * The defaults are medians measured on the real kernel by `npm run bench -- kernel` (the
 * `kernel.transfer_*_us` and `kernel.wake_us` rows) and by `npm run bench -- net`
 * (`net.udp_64B`), recorded in docs/PERFORMANCE.md ("Cost model of the simulator") with the
 * machine and the date. sim/README.md explains the model and its limits.
 */

/** Virtual-time costs of a scenario (its `costs` section), µs. */
export interface TransferCosts {
  /** A message through its receiver's own core's ring: sender and receiver on one core. */
  readonly transfer_l1_us: number;
  /** Through the L2 ring: sender and receiver on two cores of one socket. */
  readonly transfer_l2_us: number;
  /** Through the L3 ring: cores on different sockets, or a message the network server hands in. */
  readonly transfer_l3_us: number;
  /** Through the spill region, once every ring on the path was full. */
  readonly transfer_spill_us: number;
  /** Host-side work of one remote hop (sender's server and driver, receiver's driver and server), added to the link's delay. */
  readonly remote_hop_us: number;
}

/**
 * Linux's NUMA distances when firmware gives none (include/linux/topology.h: LOCAL_DISTANCE 10,
 * REMOTE_DISTANCE 20): how much farther another socket is than one's own.
 */
export const REMOTE_TO_LOCAL_DISTANCE = 20 / 10;

/**
 * Medians of three runs of the real kernel on the machine of docs/PERFORMANCE.md's "Cost model
 * of the simulator" (AMD EPYC, 2 vCPUs, one socket, Node 20, 2026-12-02):
 * - L1 and L2 are `kernel.transfer_L1_us` (0.194) and `kernel.transfer_L2_us` (0.351).
 * - L3 is the L2 figure times `REMOTE_TO_LOCAL_DISTANCE`: on a one-socket machine the bench's
 *   L3 row crosses the same caches as its L2 row (it measured 0.291, within the L2 row's spread),
 *   so it cannot stand for another socket. A run on a two-socket machine should replace it.
 * - spill is the L3 transfer plus what the spill path costs over the L1 ring in one thread
 *   (`kernel.transfer_spill_us` 0.330 less the L1 row).
 * - the remote hop is one message's share of the UDP driver's throughput (1 / `net.udp_64B`,
 *   93,836 msg/s).
 */
export const TRANSFER_COSTS_DEFAULT: TransferCosts = {
  transfer_l1_us: 0.194,
  transfer_l2_us: 0.351,
  transfer_l3_us: 0.702,
  transfer_spill_us: 0.838,
  remote_hop_us: 10.7,
};

/**
 * A wake-up from another core, µs: the scheduler draws each between these, the quartiles of
 * `kernel.wake_us` (its p25 and p75 rows).
 */
export const WAKE_US_MIN_DEFAULT = 26.1;
export const WAKE_US_MAX_DEFAULT = 33.1;
/** A wake-up from the sleeper's own core (`kernel.wake_local_us`), µs. */
export const WAKE_LOCAL_US_DEFAULT = 2.87;

/** The costs as an array by the tier a receipt reports (`Message.tier`: L1, L2, L3, spill). */
export function costs_by_tier(costs: TransferCosts): Float64Array {
  return Float64Array.of(costs.transfer_l1_us, costs.transfer_l2_us, costs.transfer_l3_us, costs.transfer_spill_us);
}

/** Names of the `costs` knobs, in the order of `TransferCosts`. */
export const TRANSFER_COST_NAMES = [
  'transfer_l1_us',
  'transfer_l2_us',
  'transfer_l3_us',
  'transfer_spill_us',
  'remote_hop_us',
] as const satisfies readonly (keyof TransferCosts)[];
