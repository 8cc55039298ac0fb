/**
 * The one assembler of a node's network: the driver on its transport, the secure channel over it
 * when the node seals, the network server on the network core's kernel, and the egress router
 * of every other core. The Node host, the core workers, the simulator's nodes and the
 * benchmarks all build their network here, so they cannot wire it differently.
 *
 *   NodeNetwork.start(...)      driver → (secure channel) → network server, router of `kernel`
 *   open_packet_port(...)       driver → (secure channel): a packet port without a kernel
 *   attach_egress(kernel, pid)  the router of a core that does not run the network
 *
 * Peers are added through `add_remote`, which registers the address with the driver and, on a
 * sealed node, pins the peer's identity with the secure channel: one call, whichever stack.
 * `close()` drains every layer top-down (server, secure channel, driver); `destroy()` aborts
 * them in the same order.
 */
import { EgressRouter } from '../kernel/egress.js';
import { ErrorCode } from '../kernel/error_codes.js';
import { ConfigError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import { Lifecycle } from '../kernel/lifecycle.js';
import { NetDriver, Overflow, Proto, type NetConfig, type NetEnv, type NetStats } from './driver.js';
import { NetworkServer, type NetworkServerStats } from './network_server.js';
import type { PacketPort } from './packet_port.js';
import type { Identity } from './secure/identity.js';
import type { Random } from './secure/random.js';
import type { PeerKeys, SecureChannel, SecureConfig, SecureStats } from './secure/secure_channel.js';
import type { CryptoSuite } from './secure/suite.js';
import type { Clock } from '../kernel/env.js';

/** How a node seals its packets: its identity, its clock and randomness, the channel's limits. */
export interface SecureOptions extends Omit<SecureConfig, 'timers' | 'random' | 'clock' | 'identity' | 'tap'> {
  readonly identity: Identity;
  readonly random: Random;
  /** Wall-clock milliseconds (INIT timestamps must grow across restarts). */
  readonly clock: Clock;
  /** The crypto suite, if already loaded (the simulator shares one); loaded otherwise. */
  readonly suite?: CryptoSuite;
}

/** A packet port: the driver, and the secure channel on it when sealed. */
export interface OpenPort {
  readonly driver: NetDriver;
  readonly secure: SecureChannel | null;
  /** What packets go through: the secure channel if any, else the driver. */
  readonly port: PacketPort;
}

/**
 * Initialises a driver on `env` with `config` and, with `secure`, puts a secure channel on it.
 * On a failure nothing is left open.
 */
export async function open_packet_port(
  env: NetEnv,
  config: NetConfig = {},
  secure: SecureOptions | null = null,
): Promise<OpenPort> {
  const driver = new NetDriver(env);
  await driver.init(config);
  if (secure === null) return { driver, secure: null, port: driver };
  try {
    // Loaded on demand, so a core worker that only needs `attach_egress` never loads the crypto.
    const { SecureChannel } = await import('./secure/secure_channel.js');
    const { CryptoSuite } = await import('./secure/suite.js');
    const { suite, ...limits } = secure;
    const channel = new SecureChannel(driver, suite ?? (await CryptoSuite.load()), {
      ...limits,
      timers: env.timers,
      tap: env.tap ?? null,
    });
    return { driver, secure: channel, port: channel };
  } catch (error) {
    await driver.destroy();
    throw error;
  }
}

/** Sets the router of a core that does not run the network: messages for other nodes go to `net_pid`. */
export function attach_egress(kernel: Kernel, net_pid: number): void {
  kernel.set_router(new EgressRouter(kernel.fastpath, net_pid));
}

/** What `NodeNetwork.start` builds from. */
export interface NodeNetworkOptions {
  /** The kernel of the network core (its thread owns the driver). */
  readonly kernel: Kernel;
  /** The driver's seams: transport, timers, identity source. */
  readonly env: NetEnv;
  /** The driver's configuration: node id, port, receive queue, limits. */
  readonly config?: NetConfig;
  /** The network pid, bound to the kernel's core: other cores send to other nodes through it (-1: none). */
  readonly net_pid?: number;
  /** Deliver packets as they arrive (default true); otherwise only in `poll_network()`. */
  readonly auto_poll?: boolean;
  /** Calls from other nodes served at once (default 1024). */
  readonly calls_max?: number;
  /** Seal every packet (net/secure). */
  readonly secure?: SecureOptions | null;
}

/** Counters of every layer of a node's network. */
export interface NodeNetworkStats {
  readonly driver: NetStats;
  readonly secure: SecureStats | null;
  readonly server: NetworkServerStats;
}

/** A node's running network. */
export class NodeNetwork {
  readonly kernel: Kernel;
  readonly driver: NetDriver;
  /** The secure channel, when the node seals (else null). */
  readonly secure: SecureChannel | null;
  readonly server: NetworkServer;
  private readonly lifecycle = new Lifecycle();

  private constructor(kernel: Kernel, open: OpenPort, server: NetworkServer) {
    this.kernel = kernel;
    this.driver = open.driver;
    this.secure = open.secure;
    this.server = server;
  }

  /** Builds and starts the network of `options.kernel`'s node; on a failure nothing is left open. */
  static async start(options: NodeNetworkOptions): Promise<NodeNetwork> {
    const config = options.config ?? {};
    const open = await open_packet_port(options.env, config, options.secure ?? null);
    try {
      const server = new NetworkServer(options.kernel, open.port, {
        auto_poll: options.auto_poll ?? true,
        net_pid: options.net_pid ?? -1,
        timers: options.env.timers,
        tap: options.env.tap ?? null,
        ...(config.max_queue === undefined ? {} : { max_queue: config.max_queue }),
        ...(config.overflow === undefined ? {} : { overflow: config.overflow }),
        ...(options.calls_max === undefined ? {} : { calls_max: options.calls_max }),
      });
      return new NodeNetwork(options.kernel, open, server);
    } catch (error) {
      await open.secure?.destroy();
      await open.driver.destroy();
      throw error;
    }
  }

  /** The bound port (UDP and TCP). */
  get port(): number {
    return this.driver.port;
  }

  /** This node's id. */
  local_node(): number {
    return this.driver.local_node();
  }

  /**
   * Registers node `node` at `host:port`, reached by `proto` (default UDP). On a sealed node
   * `keys` pins its identity (required: only that identity gets a session); on a clear node
   * `keys` must be absent. A client that dials in from an ephemeral port is
   * `add_remote(node, '', 0, Proto.TCP_INBOUND, keys)` (sealed nodes only): it is answered on
   * the connection it was proved on.
   */
  add_remote(node: number, host: string, port: number, proto: Proto = Proto.UDP, keys?: PeerKeys): void {
    if (this.secure === null) {
      if (keys !== undefined)
        throw new ConfigError(ErrorCode.BAD_OPTION, `add_remote: node ${node} has keys, but this node does not seal`);
      if (proto === Proto.TCP_INBOUND)
        throw new ConfigError(
          ErrorCode.BAD_PROTO,
          `add_remote: node ${node} is tcp_inbound, which needs a sealed node (the peer is proved on its connection)`,
        );
      this.driver.add_remote(node, host, port, proto);
      return;
    }
    if (keys === undefined)
      throw new ConfigError(ErrorCode.BAD_KEY, `add_remote: a sealed node pins node ${node}'s public key`);
    this.driver.add_remote(node, host, port, proto);
    this.secure.pin(node, keys);
  }

  /** Delivers queued packets into the node (the spec's `poll_network`); returns how many. */
  poll_network(): number {
    return this.server.poll_network();
  }

  /** Every layer's counters. */
  stats(): NodeNetworkStats {
    return { driver: this.driver.stats(), secure: this.secure?.stats() ?? null, server: this.server.stats() };
  }

  /** Drains every layer top-down (server, secure channel, driver), then stops them. Idempotent. */
  close(): Promise<void> {
    return this.lifecycle.close(
      async () => {
        await this.server.close();
        await this.secure?.close();
        await this.driver.close();
      },
      (aborted) => (aborted ? this.abort() : Promise.resolve()),
    );
  }

  /** Stops every layer now. Idempotent; cuts a pending `close()` short. */
  destroy(): Promise<void> {
    return this.lifecycle.destroy(() => this.abort());
  }

  private async abort(): Promise<void> {
    await this.server.destroy();
    await this.secure?.destroy();
    await this.driver.destroy();
  }
}

export { Overflow, Proto };
