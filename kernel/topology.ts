/**
 * Topology of a node: S sockets × C cores, and which tier joins two cores.
 *
 * Cores are numbered socket-major: core c is on socket `floor(c / cores_per_socket)`. A message
 * from a sender on core a to a receiver on core b enters the innermost tier they share:
 * L1 when a = b, L2 when they share a socket, L3 otherwise. Senders that are not cores (the
 * network driver delivering remote messages) share only the node: L3.
 */
import { assert_range } from './assert.js';
import { Tier } from './layout/counter_layout.js';

/** Sender "core" of threads that are not cores of the node. */
export const NO_CORE = -1;

/** A node's sockets and cores, and which tier (L1, L2, L3) lies between two cores. */
export class Topology {
  readonly sockets: number;
  readonly cores_per_socket: number;
  readonly cores: number;

  constructor(sockets: number, cores_per_socket: number) {
    assert_range(sockets, 1, 64, 'sockets');
    assert_range(cores_per_socket, 1, 256, 'cores_per_socket');
    this.sockets = sockets;
    this.cores_per_socket = cores_per_socket;
    this.cores = sockets * cores_per_socket;
  }

  /** The socket of `core`. */
  socket_of(core: number): number {
    assert_range(core, 0, this.cores - 1, 'core');
    return Math.floor(core / this.cores_per_socket);
  }

  /** The tier a message from a sender on `src_core` to a receiver on `dst_core` enters first. */
  home_tier(src_core: number, dst_core: number): Tier {
    assert_range(dst_core, 0, this.cores - 1, 'dst core');
    if (src_core === NO_CORE) return Tier.L3;
    if (src_core === dst_core) return Tier.L1;
    if (this.socket_of(src_core) === this.socket_of(dst_core)) return Tier.L2;
    return Tier.L3;
  }
}
