/**
 * The simulator's fault knobs: every one a documented field with its unit and its bound.
 *
 * Link faults apply to every packet between two nodes (UDP datagrams; TCP writes where it says
 * so). Scheduled faults (partitions, crashes, clock skew) are in the scenario's `faults.schedule`.
 * All draws come from the network's PRNG stream, so a seed replays every fault exactly.
 */

/** How a packet's one-way delay is drawn, in milliseconds. */
export interface DelayModel {
  /** 'fixed' (always `min_ms`), 'uniform' in [min_ms, max_ms], or 'exponential' (`min_ms` + Exp(mean_ms − min_ms), capped at `max_ms`). */
  readonly distribution: 'fixed' | 'uniform' | 'exponential';
  /** Smallest delay, ms, in [0, 10 000]. */
  readonly min_ms: number;
  /** Mean delay (exponential), ms, in [min_ms, max_ms]. */
  readonly mean_ms: number;
  /** Largest delay, ms, in [min_ms, 10 000]. */
  readonly max_ms: number;
}

/** Faults on every link. Probabilities are per packet, in [0, 1]. */
export interface LinkFaults {
  /** UDP datagrams lost; on TCP a loss costs a retransmission (`tcp_rto_ms`) instead. */
  readonly loss: number;
  /** UDP datagrams delivered twice (the copy with its own delay). */
  readonly duplicate: number;
  /** UDP datagrams held back by an extra `reorder_delay_ms`, so later ones overtake them. */
  readonly reorder: number;
  /** Extra delay of a reordered datagram, ms, in [0, 10 000]. */
  readonly reorder_delay_ms: number;
  /** Packets (UDP datagrams and TCP writes) with 1..`corrupt_bits_max` bits flipped. */
  readonly corrupt: number;
  /** Most bits one corruption flips, in [1, 64]. */
  readonly corrupt_bits_max: number;
  /** Whether corruption applies to TCP writes too (a middlebox; TCP's checksum would catch most). */
  readonly corrupt_tcp: boolean;
  /** Packets in flight on one link (from one node to another) at most; past it the link drops (`queue_full`), in [1, 2^20]. */
  readonly link_queue_packets_max: number;
  /** One-way delay. */
  readonly delay: DelayModel;
  /** Retransmission delay a TCP loss costs, ms, in [1, 10 000]. */
  readonly tcp_rto_ms: number;
  /** How long a TCP connect across a partition hangs before ETIMEDOUT, ms, in [1, 60 000]. */
  readonly connect_timeout_ms: number;
}

export const LINK_FAULTS_NONE: LinkFaults = {
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorder_delay_ms: 5,
  corrupt: 0,
  corrupt_bits_max: 1,
  corrupt_tcp: false,
  link_queue_packets_max: 1 << 16,
  delay: { distribution: 'uniform', min_ms: 0.05, mean_ms: 0.1, max_ms: 0.2 },
  tcp_rto_ms: 200,
  connect_timeout_ms: 1000,
};

/** A fault that happens at a moment of the run. */
export type ScheduledFault =
  /** From `at_ms` on, only nodes in the same group reach each other (nodes in no group are alone). */
  | { readonly kind: 'partition'; readonly at_ms: number; readonly groups: readonly (readonly number[])[] }
  /** Every partition ends. */
  | { readonly kind: 'heal'; readonly at_ms: number }
  /** Node `node` stops at once; after `restart_after_ms` (if given) it boots again, with its shared memory `kept` or `lost`. */
  | {
      readonly kind: 'crash';
      readonly at_ms: number;
      readonly node: number;
      readonly restart_after_ms?: number;
      readonly memory: 'kept' | 'lost';
    }
  /** Link faults change from `at_ms` on (fields not given keep their value). */
  | { readonly kind: 'link'; readonly at_ms: number; readonly set: Partial<LinkFaults> };

/** Clock skew: every node draws an offset and a drift rate once. */
export interface ClockSkew {
  /** Largest offset of a node's clock, ms, in [0, 3 600 000]. */
  readonly offset_ms_max: number;
  /** Largest drift, parts per million, in [0, 100 000]. */
  readonly drift_ppm_max: number;
}

/**
 * Test-only faults that break the system on purpose, so the tests can show each invariant is
 * caught. Never on in a shipped scenario.
 */
export interface SabotageFaults {
  /** Data packets the network drops without counting them anywhere (breaks "nothing lost silently"). */
  readonly silent_drop: number;
  /** Sends that bypass capabilities through the raw fastpath (breaks "no receive without a capability"). */
  readonly forge_send: number;
  /** Deliveries whose payload the simulator alters after the network (breaks "no tampered byte decrypts"). */
  readonly tamper_delivered: number;
  /** Deliveries the simulator swaps with the next on the same channel (breaks FIFO). */
  readonly reorder_delivered: number;
  /** Wake-ups the waiter drops (a sleeper waits out its timeout instead; breaks liveness). */
  readonly drop_wake: number;
  /**
   * Drops in the network layers (driver, secure channel, server) whose message the drop site
   * forgets to report: the layer still counts the drop, but not which message it destroyed
   * (breaks exact accounting, message_fates.ts).
   */
  readonly forget_drop: number;
}

export const SABOTAGE_NONE: SabotageFaults = {
  silent_drop: 0,
  forge_send: 0,
  tamper_delivered: 0,
  reorder_delivered: 0,
  drop_wake: 0,
  forget_drop: 0,
};
