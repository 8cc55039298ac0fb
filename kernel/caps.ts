/**
 * Capability tables (seL4 style): every pid owns `caps_per_pid` slots in shared memory.
 *
 * - A process names a capability by a handle, `(generation << 8) | slot`. Freeing a slot bumps
 *   its generation, so a handle of a revoked or deleted capability never reaches whatever later
 *   reuses the slot: it fails with NO_CAP.
 * - Validation takes no lock: it reads the tag, the fields, then the tag again (a seqlock read),
 *   and checks the channel's generation, so a capability of a closed channel fails with
 *   STALE_CHANNEL. This is the only work capabilities add to a send.
 * - Slots are claimed by compare-and-swap of the tag (FREE → USED), so claiming never needs the
 *   lock either (a `call` claims its reply capability on the fast path).
 * - The derivation tree (parent, first child, next sibling) is written only under the control
 *   lock: `derive` links a child, `revoke` frees a whole subtree, wherever it was granted.
 *
 * Layout: layout/cap_layout.ts.
 */
import { assert } from './assert.js';
import {
  CAP_BADGE_WORD,
  CAP_FIRST_CHILD_WORD,
  CAP_GENERATION_MASK,
  CAP_KIND_RIGHTS_WORD,
  CAP_NEXT_SIBLING_WORD,
  CAP_PARENT_WORD,
  CAP_SLOT_BITS,
  CAP_SLOT_MASK,
  CAP_TAG_WORD,
  CAP_TARGET_GEN_WORD,
  CAP_TARGET_WORD,
  CAP_WORDS,
  CapKind,
  CapState,
} from './layout/cap_layout.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { CHANNEL_TAG_WORD, CHANNEL_WORDS, ChannelState } from './layout/channel_layout.js';
import type { NodeMemory } from './node_memory.js';
import { Status } from './status.js';

/** A capability as plain data (for tools and tests). */
export interface CapInfo {
  readonly kind: 'channel' | 'reply';
  readonly rights: number;
  readonly badge: number;
  /** Channel index (channel) or caller pid (reply). */
  readonly target: number;
}

function tag(generation: number, state: number): number {
  return ((generation & CAP_GENERATION_MASK) << 2) | state;
}

export class Caps {
  private readonly i32: Int32Array;
  private readonly caps_word: number;
  private readonly channels_word: number;
  readonly caps_per_pid: number;
  readonly pids_max: number;
  /** Global index of the capability `validate_channel` found last (valid right after it succeeds). */
  found = -1;
  /** Its badge. */
  found_badge = 0;

  constructor(memory: NodeMemory) {
    this.i32 = memory.i32;
    this.caps_word = memory.layout.cap_tables / WORD_BYTES;
    this.channels_word = memory.layout.channel_table / WORD_BYTES;
    this.caps_per_pid = memory.geometry.caps_per_pid;
    this.pids_max = memory.geometry.pids_max;
  }

  /** Word index of capability `global`. */
  word(global: number): number {
    return this.caps_word + global * CAP_WORDS;
  }

  /** The handle of the capability in slot `global`, at its current generation. */
  handle_of(global: number): number {
    const generation = Atomics.load(this.i32, this.word(global) + CAP_TAG_WORD) >>> 2;
    return (generation << CAP_SLOT_BITS) | (global % this.caps_per_pid);
  }

  /** Global index that `handle` of `pid` names, or -1 if it names no used capability. */
  resolve(pid: number, handle: number): number {
    const slot = handle & CAP_SLOT_MASK;
    if (!(handle > 0 && slot < this.caps_per_pid && pid >= 0 && pid < this.pids_max)) return -1;
    const global = pid * this.caps_per_pid + slot;
    const expected = tag(handle >>> CAP_SLOT_BITS, CapState.USED);
    return Atomics.load(this.i32, this.word(global) + CAP_TAG_WORD) === expected ? global : -1;
  }

  /**
   * Validates `pid`'s channel capability `handle` for `right`. Returns the channel index, or
   * NO_CAP, NO_RIGHT or STALE_CHANNEL. On success `found` is the capability's global index.
   * Takes no lock.
   */
  validate_channel(pid: number, handle: number, right: number): number {
    const slot = handle & CAP_SLOT_MASK;
    if (!(handle > 0 && slot < this.caps_per_pid && pid >= 0 && pid < this.pids_max)) return Status.NO_CAP;
    const global = pid * this.caps_per_pid + slot;
    const w = this.caps_word + global * CAP_WORDS;
    const i32 = this.i32;
    const expected = (((handle >>> CAP_SLOT_BITS) & CAP_GENERATION_MASK) << 2) | CapState.USED;
    if (Atomics.load(i32, w + CAP_TAG_WORD) !== expected) return Status.NO_CAP;
    const kind_rights = i32[w + CAP_KIND_RIGHTS_WORD]!;
    const channel = i32[w + CAP_TARGET_WORD]!;
    const channel_gen = i32[w + CAP_TARGET_GEN_WORD]!;
    const badge = i32[w + CAP_BADGE_WORD]!;
    if (Atomics.load(i32, w + CAP_TAG_WORD) !== expected) return Status.NO_CAP; // Freed meanwhile.
    if ((kind_rights & 0xff) !== CapKind.CHANNEL) return Status.NO_CAP;
    if (((kind_rights >>> 8) & right) !== right) return Status.NO_RIGHT;
    const channel_tag = Atomics.load(i32, this.channels_word + channel * CHANNEL_WORDS + CHANNEL_TAG_WORD);
    if (channel_tag !== ((channel_gen << 2) | ChannelState.OPEN)) return Status.STALE_CHANNEL;
    this.found = global;
    this.found_badge = badge;
    return channel;
  }

  /** Validates `pid`'s reply capability `handle`; its global index, or NO_CAP. */
  validate_reply(pid: number, handle: number): number {
    const global = this.resolve(pid, handle);
    if (global < 0) return Status.NO_CAP;
    if ((this.i32[this.word(global) + CAP_KIND_RIGHTS_WORD]! & 0xff) !== CapKind.REPLY) return Status.NO_CAP;
    return global;
  }

  /** The badge of capability `global`. */
  badge(global: number): number {
    return this.i32[this.word(global) + CAP_BADGE_WORD]!;
  }

  /** The rights of capability `global`. */
  rights(global: number): number {
    return this.i32[this.word(global) + CAP_KIND_RIGHTS_WORD]! >>> 8;
  }

  /** The target (channel, or caller pid) and its generation (channel generation, or call seq). */
  target(global: number): number {
    return this.i32[this.word(global) + CAP_TARGET_WORD]!;
  }

  target_gen(global: number): number {
    return this.i32[this.word(global) + CAP_TARGET_GEN_WORD]!;
  }

  /**
   * Claims a free slot of `pid`'s table and fills it (no lock: a compare-and-swap of the tag).
   * The capability is outside any derivation tree until `adopt` links it. Returns the global
   * index, or -1 when the table is full.
   */
  claim(pid: number, kind: number, rights: number, target: number, target_gen: number, badge: number): number {
    const i32 = this.i32;
    const first = pid * this.caps_per_pid;
    for (let slot = 0; slot < this.caps_per_pid; slot++) {
      const w = this.word(first + slot);
      const current = Atomics.load(i32, w + CAP_TAG_WORD);
      if ((current & 3) !== CapState.FREE) continue;
      // Fill the fields first, then publish with the tag (a validator checks the tag twice).
      if (Atomics.compareExchange(i32, w + CAP_TAG_WORD, current, (current & ~3) | CapState.CLAIMING) !== current)
        continue;
      i32[w + CAP_KIND_RIGHTS_WORD] = kind | (rights << 8);
      i32[w + CAP_TARGET_WORD] = target;
      i32[w + CAP_TARGET_GEN_WORD] = target_gen;
      i32[w + CAP_BADGE_WORD] = badge;
      i32[w + CAP_PARENT_WORD] = -1;
      i32[w + CAP_FIRST_CHILD_WORD] = -1;
      i32[w + CAP_NEXT_SIBLING_WORD] = -1;
      Atomics.store(i32, w + CAP_TAG_WORD, (current & ~3) | CapState.USED);
      return first + slot;
    }
    return -1;
  }

  /** Under the lock: makes `child` a child of `parent` in the derivation tree. */
  adopt(parent: number, child: number): void {
    const i32 = this.i32;
    const p = this.word(parent);
    const c = this.word(child);
    i32[c + CAP_PARENT_WORD] = parent;
    i32[c + CAP_NEXT_SIBLING_WORD] = i32[p + CAP_FIRST_CHILD_WORD]!;
    i32[p + CAP_FIRST_CHILD_WORD] = child;
  }

  /**
   * Frees `global` if its tag is still USED at `generation` (one compare-and-swap: exactly one
   * of two racing frees wins). The caller holds the lock if the capability may be in a tree.
   */
  free_if(global: number, generation: number): boolean {
    const w = this.word(global);
    const used = tag(generation, CapState.USED);
    return Atomics.compareExchange(this.i32, w + CAP_TAG_WORD, used, tag(generation + 1, CapState.FREE)) === used;
  }

  /**
   * Under the lock: deletes `global` from the tree (its children move up to its parent, so a
   * delete never takes away what was granted from it) and frees it. Returns false if it was
   * already free.
   */
  delete(global: number): boolean {
    const i32 = this.i32;
    const w = this.word(global);
    const current = Atomics.load(i32, w + CAP_TAG_WORD);
    if ((current & 3) !== CapState.USED) return false;
    const parent = i32[w + CAP_PARENT_WORD]!;
    if (parent !== -1) this.unlink_child(parent, global);
    for (let child = i32[w + CAP_FIRST_CHILD_WORD]!; child !== -1; ) {
      const next = i32[this.word(child) + CAP_NEXT_SIBLING_WORD]!;
      i32[this.word(child) + CAP_PARENT_WORD] = -1;
      i32[this.word(child) + CAP_NEXT_SIBLING_WORD] = -1;
      if (parent !== -1) this.adopt(parent, child);
      child = next;
    }
    i32[w + CAP_FIRST_CHILD_WORD] = -1;
    i32[w + CAP_PARENT_WORD] = -1;
    return this.free_if(global, current >>> 2);
  }

  /**
   * Under the lock: revokes `global` and its whole subtree. Calls `on_free` with each freed
   * capability before it is freed (reply capabilities fail their callers there). `stack` is
   * scratch with room for every capability of the node.
   */
  revoke(global: number, stack: Int32Array, on_free: (global: number) => void): number {
    const i32 = this.i32;
    const parent = i32[this.word(global) + CAP_PARENT_WORD]!;
    if (parent !== -1) this.unlink_child(parent, global);
    let top = 0;
    let freed = 0;
    stack[top++] = global;
    while (top > 0) {
      const g = stack[--top]!;
      const w = this.word(g);
      for (
        let child = i32[w + CAP_FIRST_CHILD_WORD]!;
        child !== -1;
        child = i32[this.word(child) + CAP_NEXT_SIBLING_WORD]!
      ) {
        stack[top++] = child;
      }
      const current = Atomics.load(i32, w + CAP_TAG_WORD);
      if ((current & 3) !== CapState.USED) continue;
      on_free(g);
      i32[w + CAP_FIRST_CHILD_WORD] = -1;
      i32[w + CAP_PARENT_WORD] = -1;
      i32[w + CAP_NEXT_SIBLING_WORD] = -1;
      if (this.free_if(g, current >>> 2)) freed++;
    }
    return freed;
  }

  private unlink_child(parent: number, child: number): void {
    const i32 = this.i32;
    const p = this.word(parent);
    if (i32[p + CAP_FIRST_CHILD_WORD] === child) {
      i32[p + CAP_FIRST_CHILD_WORD] = i32[this.word(child) + CAP_NEXT_SIBLING_WORD]!;
      return;
    }
    const limit = this.pids_max * this.caps_per_pid;
    for (let c = i32[p + CAP_FIRST_CHILD_WORD]!, n = 0; c !== -1 && n < limit; n++) {
      const next = i32[this.word(c) + CAP_NEXT_SIBLING_WORD]!;
      if (next === child) {
        i32[this.word(c) + CAP_NEXT_SIBLING_WORD] = i32[this.word(child) + CAP_NEXT_SIBLING_WORD]!;
        return;
      }
      c = next;
    }
    assert(false, "child is in its parent's list");
  }

  /** Whether slot `global` holds a capability. */
  used(global: number): boolean {
    return (Atomics.load(this.i32, this.word(global) + CAP_TAG_WORD) & 3) === CapState.USED;
  }

  /** Capability `global` as plain data, or null if free. */
  info(global: number): CapInfo | null {
    if (!this.used(global)) return null;
    const w = this.word(global);
    const kind_rights = this.i32[w + CAP_KIND_RIGHTS_WORD]!;
    return {
      kind: (kind_rights & 0xff) === CapKind.REPLY ? 'reply' : 'channel',
      rights: kind_rights >>> 8,
      badge: this.i32[w + CAP_BADGE_WORD]!,
      target: this.i32[w + CAP_TARGET_WORD]!,
    };
  }

  /** Kind of capability `global`. */
  kind(global: number): number {
    return this.i32[this.word(global) + CAP_KIND_RIGHTS_WORD]! & 0xff;
  }
}
