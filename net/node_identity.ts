/**
 * `local_node()`: which node id this driver speaks as (the spec's "Local Node Identification").
 *
 * In order: the configured `node_id` if nonzero; else a deterministic hash of the first active
 * non-loopback interface, preferring its MAC address (and its first address when the MAC is
 * all zeros); else a hash of the host name. The interface list and host name are injected, so
 * every path can be tested; Node hosts pass `os.networkInterfaces()` and `os.hostname()`.
 *
 * Node ids are 31-bit and never 0 (0 means "this node" inside the kernel's channel keys).
 */

/** One address of an interface, in the shape of Node's `os.networkInterfaces()`. */
export interface InterfaceAddress {
  readonly address: string;
  readonly mac: string;
  readonly internal: boolean;
  readonly family?: string | number;
}

/** Where `local_node` looks when no id is configured. */
export interface IdentitySource {
  readonly interfaces: Readonly<Record<string, readonly InterfaceAddress[] | undefined>>;
  readonly hostname: string;
}

/** How the id was found. */
export type IdentityPath = 'configured' | 'interface_mac' | 'interface_address' | 'hostname';

const NO_MAC = /^(00:){5}00$/;

/** FNV-1a over the UTF-8 of `text`, folded to a nonzero 31-bit id. */
export function node_id_hash(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193);
  const id = (h ^ (h >>> 31)) & 0x7fff_ffff;
  return id === 0 ? 1 : id;
}

/** The local node id and how it was chosen. */
export function local_node_id(configured: number, source: IdentitySource): { id: number; path: IdentityPath } {
  if (configured !== 0) return { id: configured, path: 'configured' };
  const names = Object.keys(source.interfaces).sort();
  for (const name of names) {
    const addresses = source.interfaces[name] ?? [];
    const active = addresses.find((a) => !a.internal);
    if (active === undefined) continue;
    if (!NO_MAC.test(active.mac)) return { id: node_id_hash(`mac:${active.mac.toLowerCase()}`), path: 'interface_mac' };
    return { id: node_id_hash(`addr:${active.address}`), path: 'interface_address' };
  }
  return { id: node_id_hash(`host:${source.hostname}`), path: 'hostname' };
}
