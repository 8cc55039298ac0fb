/**
 * Capability tables (seL4 style): every pid owns `caps_per_pid` slots in shared memory.
 *
 * - A process names a capability by a handle: its slot and the slot's generation (cap_layout.ts). Freeing a slot bumps
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
import { assert, assert_range } from './assert.js';
import type { ChannelTable } from './channel_table.js';
import {
  CAP_BADGE_WORD,
  CAP_FIRST_CHILD_WORD,
  CAP_KIND_RIGHTS_WORD,
  CAP_NEXT_SIBLING_WORD,
  CAP_PARENT_WORD,
  CAP_TAG_WORD,
  CAP_TARGET_GEN_WORD,
  CAP_TARGET_WORD,
  CAP_WORDS,
  CapKind,
  CapState,
  cap_handle,
  cap_handle_generation,
  cap_handle_slot,
  cap_kind_of,
  cap_kind_rights,
  cap_rights_of,
  cap_tag,
  cap_tag_generation,
  cap_tag_state,
  cap_tag_with_state,
} from './layout/cap_layout.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { ChannelState, channel_tag } from './layout/channel_layout.js';
import type { NodeMemory } from './node_memory.js';
import { Status } from './status.js';

/** A capability as plain data (for tools and tests). */
export interface CapInfo {
  readonly kind: 'channel' | 'reply' | 'remote_reply';
  readonly rights: number;
  readonly badge: number;
  /** Channel index (channel), caller pid (reply) or the network server's call slot (remote reply). */
  readonly target: number;
}

export class Caps {
  private readonly i32: Int32Array;
  private readonly caps_word: number;
  /** The channel table validation reads channel tags from (null: this instance never validates). */
  private readonly channels: ChannelTable | null;
  readonly caps_per_pid: number;
  readonly pids_max: number;
  /** Global index of the capability `validate_channel` found last (valid right after it succeeds). */
  found = -1;
  /** Its badge. */
  found_badge = 0;

  constructor(memory: NodeMemory, channels: ChannelTable | null = null) {
    this.i32 = memory.i32;
    this.caps_word = memory.layout.cap_tables / WORD_BYTES;
    this.channels = channels;
    this.caps_per_pid = memory.geometry.caps_per_pid;
    this.pids_max = memory.geometry.pids_max;
  }

  /** Word index of capability `global`. */
  word(global: number): number {
    return this.caps_word + global * CAP_WORDS;
  }

  /** The handle of the capability in slot `global`, at its current generation. */
  handle_of(global: number): number {
    const generation = cap_tag_generation(Atomics.load(this.i32, this.word(global) + CAP_TAG_WORD));
    return cap_handle(global % this.caps_per_pid, generation);
  }

  /** Global index that `handle` of `pid` names, or -1 if it names no used capability. */
  resolve(pid: number, handle: number): number {
    const slot = cap_handle_slot(handle);
    if (!(handle > 0 && slot < this.caps_per_pid && pid >= 0 && pid < this.pids_max)) return -1;
    const global = pid * this.caps_per_pid + slot;
    const expected = cap_tag(cap_handle_generation(handle), CapState.USED);
    return Atomics.load(this.i32, this.word(global) + CAP_TAG_WORD) === expected ? global : -1;
  }

  /**
   * Validates `pid`'s channel capability `handle` for `right`. Returns the channel index, or
   * NO_CAP, NO_RIGHT or STALE_CHANNEL. On success `found` is the capability's global index.
   * Takes no lock.
   */
  validate_channel(pid: number, handle: number, right: number): number {
    const slot = cap_handle_slot(handle);
    if (!(handle > 0 && slot < this.caps_per_pid && pid >= 0 && pid < this.pids_max)) return Status.NO_CAP;
    const global = pid * this.caps_per_pid + slot;
    const w = this.caps_word + global * CAP_WORDS;
    const i32 = this.i32;
    const expected = cap_tag(cap_handle_generation(handle), CapState.USED);
    if (Atomics.load(i32, w + CAP_TAG_WORD) !== expected) return Status.NO_CAP;
    const kind_rights = i32[w + CAP_KIND_RIGHTS_WORD]!;
    const channel = i32[w + CAP_TARGET_WORD]!;
    const channel_gen = i32[w + CAP_TARGET_GEN_WORD]!;
    const badge = i32[w + CAP_BADGE_WORD]!;
    if (Atomics.load(i32, w + CAP_TAG_WORD) !== expected) return Status.NO_CAP; // Freed meanwhile.
    if (cap_kind_of(kind_rights) !== CapKind.CHANNEL) return Status.NO_CAP;
    if ((cap_rights_of(kind_rights) & right) !== right) return Status.NO_RIGHT;
    if (this.channels!.tag(channel) !== channel_tag(channel_gen, ChannelState.OPEN)) return Status.STALE_CHANNEL;
    this.found = global;
    this.found_badge = badge;
    return channel;
  }

  /** Validates `pid`'s reply capability `handle` (local or remote); its global index, or NO_CAP. */
  validate_reply(pid: number, handle: number): number {
    const global = this.resolve(pid, handle);
    if (global < 0) return Status.NO_CAP;
    const kind = this.kind(global);
    if (kind !== CapKind.REPLY && kind !== CapKind.REMOTE_REPLY) return Status.NO_CAP;
    return global;
  }

  /** The badge of capability `global`. */
  badge(global: number): number {
    return this.i32[this.word(global) + CAP_BADGE_WORD]!;
  }

  /** The rights of capability `global`. */
  rights(global: number): number {
    return cap_rights_of(this.i32[this.word(global) + CAP_KIND_RIGHTS_WORD]!);
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
    assert_range(pid, 0, this.pids_max - 1, 'claim: pid');
    assert(
      kind === CapKind.CHANNEL || kind === CapKind.REPLY || kind === CapKind.REMOTE_REPLY,
      'claim: a kind a capability starts as',
    );
    const i32 = this.i32;
    const first = pid * this.caps_per_pid;
    for (let slot = 0; slot < this.caps_per_pid; slot++) {
      const w = this.word(first + slot);
      const current = Atomics.load(i32, w + CAP_TAG_WORD);
      if (cap_tag_state(current) !== CapState.FREE) continue;
      // Fill the fields first, then publish with the tag (a validator checks the tag twice).
      if (
        Atomics.compareExchange(i32, w + CAP_TAG_WORD, current, cap_tag_with_state(current, CapState.CLAIMING)) !==
        current
      )
        continue;
      i32[w + CAP_KIND_RIGHTS_WORD] = cap_kind_rights(kind, rights);
      i32[w + CAP_TARGET_WORD] = target;
      i32[w + CAP_TARGET_GEN_WORD] = target_gen;
      i32[w + CAP_BADGE_WORD] = badge;
      i32[w + CAP_PARENT_WORD] = -1;
      i32[w + CAP_FIRST_CHILD_WORD] = -1;
      i32[w + CAP_NEXT_SIBLING_WORD] = -1;
      Atomics.store(i32, w + CAP_TAG_WORD, cap_tag_with_state(current, CapState.USED));
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
    const used = cap_tag(generation, CapState.USED);
    return Atomics.compareExchange(this.i32, w + CAP_TAG_WORD, used, cap_tag(generation + 1, CapState.FREE)) === used;
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
    if (cap_tag_state(current) !== CapState.USED) return false;
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
    return this.free_if(global, cap_tag_generation(current));
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
      if (cap_tag_state(current) !== CapState.USED) continue;
      on_free(g);
      i32[w + CAP_FIRST_CHILD_WORD] = -1;
      i32[w + CAP_PARENT_WORD] = -1;
      i32[w + CAP_NEXT_SIBLING_WORD] = -1;
      if (this.free_if(g, cap_tag_generation(current))) freed++;
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
    return cap_tag_state(Atomics.load(this.i32, this.word(global) + CAP_TAG_WORD)) === CapState.USED;
  }

  /** Capability `global` as plain data, or null if free. */
  info(global: number): CapInfo | null {
    if (!this.used(global)) return null;
    const w = this.word(global);
    const kind_rights = this.i32[w + CAP_KIND_RIGHTS_WORD]!;
    const kind = cap_kind_of(kind_rights);
    return {
      kind: kind === CapKind.CHANNEL ? 'channel' : kind === CapKind.REPLY ? 'reply' : 'remote_reply',
      rights: cap_rights_of(kind_rights),
      badge: this.i32[w + CAP_BADGE_WORD]!,
      target: this.i32[w + CAP_TARGET_WORD]!,
    };
  }

  /** The pid whose table holds capability `global`. */
  owner_pid(global: number): number {
    return Math.floor(global / this.caps_per_pid);
  }

  /**
   * Moves capability `global` (used, at `generation`) from kind `from` to kind `to` by one
   * compare-and-swap of its `kind_rights` (a remote reply's answered / orphaned transitions; see
   * cap_layout.ts). False if it was not of kind `from` (another transition won) or not that
   * capability any more.
   */
  transition(global: number, generation: number, from: number, to: number): boolean {
    const w = this.word(global);
    if (Atomics.load(this.i32, w + CAP_TAG_WORD) !== cap_tag(generation, CapState.USED)) return false;
    const before = Atomics.load(this.i32, w + CAP_KIND_RIGHTS_WORD);
    if (cap_kind_of(before) !== from) return false;
    const after = cap_kind_rights(to, cap_rights_of(before));
    return Atomics.compareExchange(this.i32, w + CAP_KIND_RIGHTS_WORD, before, after) === before;
  }

  /** The generation of capability slot `global` (its current tag's). */
  generation(global: number): number {
    return cap_tag_generation(Atomics.load(this.i32, this.word(global) + CAP_TAG_WORD));
  }

  /** Kind of capability `global`. */
  kind(global: number): number {
    return cap_kind_of(this.i32[this.word(global) + CAP_KIND_RIGHTS_WORD]!);
  }
}
