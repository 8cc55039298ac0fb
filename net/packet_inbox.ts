/**
 * A packet inbox: the bounded receive queue at the top of a packet port (the spec's `net::recv`
 * queue). It is a `PacketReceiver`: the port hands it every packet; a consumer drains it with
 * `recv()` and may put back what it cannot take yet (`requeue`). On overflow it drops the oldest
 * or the newest packet, as configured, and counts each drop (packet_queue.ts): nothing is lost
 * silently and memory stays bounded whatever the peers send.
 *
 * The network server owns one (its inbound queue); a driver or secure channel used on its own
 * keeps one as its default receiver, so `driver.recv()` works without a server.
 */
import { Overflow, PacketQueue, type Packet } from './packet_queue.js';
import type { MessageTap } from './message_tap.js';
import type { PacketReceiver } from './packet_port.js';

export { Overflow, type Packet };

export class PacketInbox implements PacketReceiver {
  private queue: PacketQueue;
  private arrival: ((packet: Packet) => void) | null = null;
  private lost: ((node: number) => void) | null = null;
  private failed: ((src_pid: number, count: number) => void) | null = null;
  /** Packets the port accepted and then could not send (`on_send_failed`). */
  send_failed = 0;
  private tap: MessageTap | null = null;
  private tap_layer = '';
  /** Packets accepted, and their bytes. */
  received = 0;
  received_bytes = 0;
  /** Packets discarded by `reset()`. */
  reset_discarded = 0;

  constructor(capacity: number, overflow: Overflow) {
    this.queue = new PacketQueue(capacity, overflow);
  }

  /** Replaces the queue with an empty one of `capacity` and `overflow` (a driver's `init`). */
  configure(capacity: number, overflow: Overflow): void {
    this.queue = new PacketQueue(capacity, overflow);
    this.watch_drops();
  }

  /** Tells `tap` of every packet this inbox drops, as a drop of `layer` (message_tap.ts). */
  set_tap(tap: MessageTap | null, layer: string): void {
    this.tap = tap;
    this.tap_layer = layer;
    this.watch_drops();
  }

  private watch_drops(): void {
    const tap = this.tap;
    const layer = this.tap_layer;
    this.queue.on_drop =
      tap === null
        ? null
        : (packet, newest) => tap.lost(layer, newest ? 'queue_dropped_newest' : 'queue_dropped_oldest', packet.payload);
  }

  on_packet(src_node: number, src_pid: number, dst_pid: number, bytes: Uint8Array): void {
    this.received++;
    this.received_bytes += bytes.length;
    const packet: Packet = { src_node, src_pid, dst_pid, payload: bytes };
    if (!this.queue.push(packet)) return; // DROP_NEWEST on a full queue: counted by the queue.
    this.arrival?.(packet);
  }

  on_peer_lost(node: number): void {
    this.lost?.(node);
  }

  on_send_failed(src_pid: number, count: number): void {
    this.send_failed += count;
    this.failed?.(src_pid, count);
  }

  /** Calls `callback` with every packet on arrival (it stays queued for `recv`); null removes it. */
  set_callback(callback: ((packet: Packet) => void) | null): void {
    this.arrival = callback;
  }

  /** Calls `callback` with the sending pid of packets accepted and then lost (`on_send_failed`); null removes it. */
  set_send_failed_callback(callback: ((src_pid: number, count: number) => void) | null): void {
    this.failed = callback;
  }

  /** Calls `callback` when a peer's session is lost; null removes it. */
  set_lost_callback(callback: ((node: number) => void) | null): void {
    this.lost = callback;
  }

  /** The next packet, or null. */
  recv(): Packet | null {
    return this.queue.shift();
  }

  /** Puts a packet back at the front (a consumer that could not take it yet). */
  requeue(packet: Packet): void {
    this.queue.unshift(packet);
  }

  /** Packets waiting. */
  get length(): number {
    return this.queue.length;
  }

  /** Packets dropped to make room (DROP_OLDEST) and packets refused (DROP_NEWEST). */
  get dropped_oldest(): number {
    return this.queue.dropped_oldest;
  }

  get dropped_newest(): number {
    return this.queue.dropped_newest;
  }

  /** Discards every waiting packet (counted in `reset_discarded`). */
  reset(): void {
    this.reset_discarded += this.queue.length;
    const tap = this.tap;
    if (tap !== null) this.queue.for_each((packet) => tap.lost(this.tap_layer, 'reset_discarded', packet.payload));
    this.queue.clear();
  }

  /** Discards every waiting packet without counting it (the owner is shutting down). */
  clear(): void {
    this.queue.clear();
  }
}
