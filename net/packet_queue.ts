/**
 * A bounded receive queue (packet_inbox.ts): a ring of packets, `capacity` at most. On overflow it
 * drops the oldest packet or the newest one, as configured, and counts each drop; nothing is
 * ever lost silently.
 */
import { assert_range } from '../kernel/assert.js';

/** A received packet: the node and pid it came from, the pid it is for, and its payload. */
export interface Packet {
  readonly src_node: number;
  /** The sending pid and the receiving pid (-1 when the payload is not a remote message). */
  readonly src_pid: number;
  readonly dst_pid: number;
  readonly payload: Uint8Array;
}

/** What to drop when the queue is full. */
export const Overflow = {
  DROP_OLDEST: 'DROP_OLDEST',
  DROP_NEWEST: 'DROP_NEWEST',
} as const;
export type Overflow = (typeof Overflow)[keyof typeof Overflow];

/** Largest queue a driver may configure. */
export const QUEUE_CAPACITY_MAX = 1 << 20;

export class PacketQueue {
  private readonly slots: (Packet | undefined)[];
  private head = 0;
  private size = 0;
  readonly capacity: number;
  readonly overflow: Overflow;
  /** Packets dropped to make room (DROP_OLDEST) and packets refused (DROP_NEWEST). */
  dropped_oldest = 0;
  dropped_newest = 0;
  /** Told of each packet dropped, and whether it was the newest (refused) or the oldest (evicted). */
  on_drop: ((packet: Packet, newest: boolean) => void) | null = null;

  constructor(capacity: number, overflow: Overflow) {
    assert_range(capacity, 1, QUEUE_CAPACITY_MAX, 'queue capacity');
    this.capacity = capacity;
    this.overflow = overflow;
    this.slots = new Array<Packet | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Adds `packet`; returns false if it was the one dropped (DROP_NEWEST on a full queue). */
  push(packet: Packet): boolean {
    if (this.size === this.capacity) {
      if (this.overflow === Overflow.DROP_NEWEST) {
        this.dropped_newest++;
        this.on_drop?.(packet, true);
        return false;
      }
      if (this.on_drop !== null) this.on_drop(this.slots[this.head]!, false);
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      this.dropped_oldest++;
    }
    this.slots[(this.head + this.size) % this.capacity] = packet;
    this.size++;
    return true;
  }

  /** Puts `packet` back at the front (a consumer that could not take it yet). */
  unshift(packet: Packet): void {
    if (this.size === this.capacity) {
      // Full: the newest packet makes room for the older one, which was here first.
      this.size--;
      const newest = (this.head + this.size) % this.capacity;
      if (this.on_drop !== null) this.on_drop(this.slots[newest]!, true);
      this.slots[newest] = undefined;
      this.dropped_newest++;
    }
    this.head = (this.head + this.capacity - 1) % this.capacity;
    this.slots[this.head] = packet;
    this.size++;
  }

  /** The oldest packet, removed; or null. */
  shift(): Packet | null {
    if (this.size === 0) return null;
    const packet = this.slots[this.head]!;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    return packet;
  }

  /** Calls `fn` with every packet, oldest first. */
  for_each(fn: (packet: Packet) => void): void {
    for (let i = 0; i < this.size; i++) fn(this.slots[(this.head + i) % this.capacity]!);
  }

  /** Removes every packet (not counted as drops: the owner asked for it). */
  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.size = 0;
  }
}
