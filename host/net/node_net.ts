/**
 * The network's seams on real sockets and timers (Node): `node_net_env()` for
 * net/node_network.ts, and `create_net_driver()` for a driver on its own.
 */
import { hostname, networkInterfaces } from 'node:os';
import { NetDriver, type NetEnv } from '../../net/driver.js';
import type { IdentitySource } from '../../net/node_identity.js';
import type { Timers } from '../../net/transport.js';
import { NodeTransport } from './node_transport.js';

/** `Timers` over `setTimeout` and `setImmediate`. */
export function node_timers(): Timers {
  const handles = new Map<number, ReturnType<typeof setTimeout>>();
  let next = 1;
  return {
    set(delay_ms, callback) {
      const id = next++;
      handles.set(
        id,
        setTimeout(() => {
          handles.delete(id);
          callback();
        }, delay_ms),
      );
      return id;
    },
    clear(id) {
      const handle = handles.get(id);
      if (handle !== undefined) clearTimeout(handle);
      handles.delete(id);
    },
    defer(callback) {
      queueMicrotask(callback);
    },
  };
}

/** This machine's interfaces and host name, for `local_node`. */
export function os_identity(): IdentitySource {
  return { interfaces: networkInterfaces() as IdentitySource['interfaces'], hostname: hostname() };
}

/** The driver's seams on real UDP and TCP sockets, timers and this machine's identity. */
export function node_net_env(identity: IdentitySource = os_identity()): NetEnv {
  return { transport: new NodeTransport(), timers: node_timers(), identity };
}

/** A driver on real UDP and TCP sockets. Call `init` to bind it. */
export function create_net_driver(identity: IdentitySource = os_identity()): NetDriver {
  return new NetDriver(node_net_env(identity));
}
