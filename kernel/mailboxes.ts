/**
 * Mailboxes: where a core's receive merge parks messages for the core's other pids.
 *
 * The merge takes a source's head only when it is the next message its channel expects; when
 * that message is for another pid of the core, it moves into that pid's mailbox, so the source
 * is free again and per-channel order holds (the mailbox is FIFO and is read before the
 * sources). Each pid has one mailbox of `mailbox_capacity` slots in the node's control region
 * (layout/node_layout.ts); only the core the pid is bound to touches it, so it takes no atomics.
 *
 *   mailbox of pid p:
 *   +--------+--------+----------------------+----------------------------------+
 *   | head   | tail   | (rest of the line)   | slots × mailbox_capacity (128 B) |
 *   +--------+--------+----------------------+----------------------------------+
 *
 * head and tail count messages taken and put (Int32, wrapping); slot k holds message k mod
 * capacity. A mailbox slot keeps the tier its message travelled through in `publish_seq`.
 */
import { assert } from './assert.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { MAILBOX_HEAD, MAILBOX_HEADER_BYTES, MAILBOX_TAIL } from './layout/node_layout.js';
import { SLOT_PUBLISH_SEQ_WORD, SLOT_WORDS } from './layout/slot_layout.js';
import type { Message } from './message.js';
import type { NodeMemory } from './node_memory.js';
import { copy_slot, read_slot } from './slot_io.js';

const HEAD_WORD = MAILBOX_HEAD / WORD_BYTES;
const TAIL_WORD = MAILBOX_TAIL / WORD_BYTES;
const SLOTS_WORD = MAILBOX_HEADER_BYTES / WORD_BYTES;

export class Mailboxes {
  private readonly i32: Int32Array;
  private readonly pids_max: number;
  /** Slots per mailbox. */
  readonly capacity: number;
  /** Word index of pid 0's mailbox, and words per mailbox. */
  private readonly first_word: number;
  private readonly words: number;

  constructor(memory: NodeMemory) {
    const layout = memory.layout;
    this.i32 = memory.i32;
    this.pids_max = layout.geometry.pids_max;
    this.capacity = layout.geometry.mailbox_capacity;
    this.first_word = layout.mailboxes / WORD_BYTES;
    this.words = layout.mailbox_bytes / WORD_BYTES;
  }

  /** Whether `pid`'s mailbox has no free slot (true for a pid out of range: nothing may go there). */
  full(pid: number): boolean {
    if (!(pid >= 0 && pid < this.pids_max)) return true;
    const w = this.first_word + pid * this.words;
    return ((this.i32[w + TAIL_WORD]! - this.i32[w + HEAD_WORD]!) | 0) >= this.capacity;
  }

  /** Moves the slot image at word `w` of `array` into `pid`'s mailbox (not full), recording `tier`. */
  put(pid: number, array: Int32Array, w: number, tier: number): void {
    const mailbox = this.first_word + pid * this.words;
    const tail = this.i32[mailbox + TAIL_WORD]!;
    const slot = mailbox + SLOTS_WORD + (tail % this.capacity) * SLOT_WORDS;
    copy_slot(array, w, this.i32, slot, tier);
    this.i32[mailbox + TAIL_WORD] = (tail + 1) | 0;
  }

  /** Asserts that `pid`'s mailbox has room (the merge checks `full` before it moves a message in). */
  check_room(pid: number): void {
    assert(!this.full(pid), 'mailbox put: the mailbox has room');
  }

  /** Takes the oldest message of `pid`'s mailbox into `m`; false if it is empty. */
  take(pid: number, m: Message): boolean {
    const mailbox = this.first_word + pid * this.words;
    const head = this.i32[mailbox + HEAD_WORD]!;
    if (head === this.i32[mailbox + TAIL_WORD]) return false;
    const slot = mailbox + SLOTS_WORD + (head % this.capacity) * SLOT_WORDS;
    read_slot(this.i32, slot, m, this.i32[slot + SLOT_PUBLISH_SEQ_WORD]!);
    this.i32[mailbox + HEAD_WORD] = (head + 1) | 0;
    return true;
  }

  /** Messages waiting in `pid`'s mailbox. */
  length(pid: number): number {
    const w = this.first_word + pid * this.words;
    return (this.i32[w + TAIL_WORD]! - this.i32[w + HEAD_WORD]!) | 0;
  }
}
