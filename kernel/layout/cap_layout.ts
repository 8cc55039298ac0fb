/**
 * Capability entry: one slot of a process's capability table (seL4 style).
 *
 * Each pid owns `caps_per_pid` slots. A capability names a channel (send, grant, control
 * rights and a badge the receiver sees) or a pending reply (a one-shot right to answer one
 * `call`). Capabilities form a derivation tree across all tables (parent, first child, next
 * sibling), so revoking one revokes everything derived from it, wherever it was granted.
 *
 *   0               4               8               12              16
 *   +---------------+---------------+---------------+---------------+
 *   | tag           | kind_rights   | target        | target_gen    |
 *   +---------------+---------------+---------------+---------------+
 *   | badge         | parent        | first_child   | next_sibling  |
 *   +---------------+---------------+---------------+---------------+  32
 *
 * - tag: `(generation << 2) | CapState`. A handle carries the generation of the slot it was
 *   issued from; freeing a slot bumps its generation, so an old handle never reaches the
 *   capability that later reuses the slot.
 * - kind_rights: `CapKind` in the low byte, `Rights` bits above it.
 * - target / target_gen: for CHANNEL, the channel index and its generation when the cap was
 *   made (a closed channel has a newer generation, so its caps are stale); for REPLY, the
 *   caller's pid and its `call_seq`.
 * - badge: delivered with every message sent through this cap; ORed in by `notify`.
 * - parent, first_child, next_sibling: global capability indexes (`pid * caps_per_pid + slot`)
 *   of the derivation tree, -1 for none. Written only under the control lock.
 *
 * Handles given to processes are `(generation << CAP_SLOT_BITS) | slot`, a positive Int32.
 */
import { WORD_BYTES } from './cache_line.js';

let offset = 0;
export const CAP_TAG = offset;
offset += WORD_BYTES;
export const CAP_KIND_RIGHTS = offset;
offset += WORD_BYTES;
export const CAP_TARGET = offset;
offset += WORD_BYTES;
export const CAP_TARGET_GEN = offset;
offset += WORD_BYTES;
export const CAP_BADGE = offset;
offset += WORD_BYTES;
export const CAP_PARENT = offset;
offset += WORD_BYTES;
export const CAP_FIRST_CHILD = offset;
offset += WORD_BYTES;
export const CAP_NEXT_SIBLING = offset;
offset += WORD_BYTES;
/** Bytes of one capability entry. */
export const CAP_BYTES = offset;

export const CAP_WORDS = CAP_BYTES / WORD_BYTES;
export const CAP_TAG_WORD = CAP_TAG / WORD_BYTES;
export const CAP_KIND_RIGHTS_WORD = CAP_KIND_RIGHTS / WORD_BYTES;
export const CAP_TARGET_WORD = CAP_TARGET / WORD_BYTES;
export const CAP_TARGET_GEN_WORD = CAP_TARGET_GEN / WORD_BYTES;
export const CAP_BADGE_WORD = CAP_BADGE / WORD_BYTES;
export const CAP_PARENT_WORD = CAP_PARENT / WORD_BYTES;
export const CAP_FIRST_CHILD_WORD = CAP_FIRST_CHILD / WORD_BYTES;
export const CAP_NEXT_SIBLING_WORD = CAP_NEXT_SIBLING / WORD_BYTES;

/** Bits of a handle that hold the slot: so `caps_per_pid` is at most 256. */
export const CAP_SLOT_BITS = 8;
export const CAP_SLOT_MASK = (1 << CAP_SLOT_BITS) - 1;
/** Generations wrap at 23 bits, keeping handles positive. */
export const CAP_GENERATION_MASK = (1 << (31 - CAP_SLOT_BITS)) - 1;

/** States in a capability's tag. CLAIMING marks a slot being filled (neither free nor valid). */
export const CapState = { FREE: 0, USED: 1, CLAIMING: 3 } as const;
/**
 * What a capability names.
 * - CHANNEL: a channel (`target` its index, `target_gen` its generation).
 * - REPLY: the right to answer one local `call` (`target` the caller's pid, `target_gen` its
 *   call number).
 * - REMOTE_REPLY: the right to answer one `call` from another node (`target` the network
 *   server's slot for that call, `target_gen` the slot's generation; net/remote_calls.ts). The
 *   network server alone frees it: `reply` moves it to REMOTE_ANSWERED, the callee's exit (or a
 *   revoke) to REMOTE_ORPHANED, each by compare-and-swap of `kind_rights`, so exactly one of the
 *   two happens; the server then sends the reply, or DEAD_PEER, and frees the slot.
 */
export const CapKind = { CHANNEL: 1, REPLY: 2, REMOTE_REPLY: 3, REMOTE_ANSWERED: 4, REMOTE_ORPHANED: 5 } as const;

/** Bits of a tag that hold the state; the generation is the rest. */
const CAP_STATE_MASK = 3;
/** Bits of `kind_rights` that hold the kind; the rights are above them. */
const CAP_KIND_BITS = 8;

/** The tag of a capability slot in `state` at `generation`. */
export function cap_tag(generation: number, state: number): number {
  return ((generation & CAP_GENERATION_MASK) << 2) | state;
}

/** The `CapState` of a tag. */
export function cap_tag_state(tag: number): number {
  return tag & CAP_STATE_MASK;
}

/** The generation of a tag. */
export function cap_tag_generation(tag: number): number {
  return tag >>> 2;
}

/** The tag that `tag` becomes in `state`, at the same generation. */
export function cap_tag_with_state(tag: number, state: number): number {
  return (tag & ~CAP_STATE_MASK) | state;
}

/** The handle of slot `slot` at `generation`. */
export function cap_handle(slot: number, generation: number): number {
  return ((generation & CAP_GENERATION_MASK) << CAP_SLOT_BITS) | slot;
}

/** The slot a handle names. */
export function cap_handle_slot(handle: number): number {
  return handle & CAP_SLOT_MASK;
}

/** The generation a handle was issued at. */
export function cap_handle_generation(handle: number): number {
  return (handle >>> CAP_SLOT_BITS) & CAP_GENERATION_MASK;
}

/** The `kind_rights` word of a capability of `kind` with `rights`. */
export function cap_kind_rights(kind: number, rights: number): number {
  return kind | (rights << CAP_KIND_BITS);
}

/** The `CapKind` of a `kind_rights` word. */
export function cap_kind_of(kind_rights: number): number {
  return kind_rights & ((1 << CAP_KIND_BITS) - 1);
}

/** The `Rights` of a `kind_rights` word. */
export function cap_rights_of(kind_rights: number): number {
  return kind_rights >>> CAP_KIND_BITS;
}

/** Rights a capability may carry. */
export const Rights = {
  /** Send (and notify) on the channel. */
  SEND: 1,
  /** Give a copy of this capability to another process, carried in a message. */
  GRANT: 2,
  /** Close the channel, add dependencies to it, submit it. */
  CONTROL: 4,
  /** Everything. */
  ALL: 7,
} as const;
