/**
 * Statistics counters: one block per core (and per external producer), in the node's
 * control region.
 *
 * Every counter is 64 bits kept as two Uint32 words (low, high). A counter block is written by
 * exactly one thread, the one attached to that core (attachment is exclusive), so writes are
 * plain stores with a carry into the high word; any thread may read a block at any time.
 * Blocks are cache-line aligned and padded, so two cores never write the same line.
 *
 *   0          8          16                           8*(COUNTER_COUNT-1)
 *   +----------+----------+---------- ... -------------+----------+ padding to a line
 *   | SENT_L1  | SENT_L2  |                            | last     |
 *   | lo | hi  | lo | hi  |                            | lo | hi  |
 *   +----------+----------+---------- ... -------------+----------+
 *
 * Counters indexed by tier (`SENT_TIER + tier`) are laid out L1, L2, L3, SPILL.
 */
import { lines } from './cache_line.js';

/** Where a message travelled: the tier ring it entered, or the spill region. */
export const Tier = { L1: 0, L2: 1, L3: 2, SPILL: 3 } as const;
export type Tier = (typeof Tier)[keyof typeof Tier];
/** Names of the tiers, indexed by `Tier`. */
export const TIER_NAMES = ['L1', 'L2', 'L3', 'spill'] as const;
/** Number of tiers including the spill region. */
export const TIER_COUNT = 4;

let n = 0;
/** Messages this core sent, by the tier they entered (4 counters). */
export const C_SENT_TIER = n;
n += 4;
/** Payload bytes this core sent, by tier (4 counters). */
export const C_SENT_BYTES_TIER = n;
n += 4;
/** Messages that found their home tier's ring full and entered a ring further out. */
export const C_CASCADED = n++;
/** Sends refused because every ring on the path and the spill region were full. */
export const C_BACKPRESSURED = n++;
/** Messages whose payload travelled by descriptor (a slab block). */
export const C_DESCRIPTOR_SENDS = n++;
/** Block allocations that found no free block of a large enough class. */
export const C_BLOCK_ALLOC_FAILED = n++;
/** Sends and calls refused for bad input, by reason. */
export const C_REJECTED_BAD_PID = n++;
export const C_REJECTED_NOT_BOUND = n++;
export const C_REJECTED_TOO_BIG = n++;
export const C_REJECTED_WRONG_CORE = n++;
export const C_REJECTED_CHANNEL_FULL = n++;
export const C_REJECTED_BAD_ARGUMENT = n++;
/** Messages this core received, by the tier they arrived through (4 counters). */
export const C_RECV_TIER = n;
n += 4;
/** Payload bytes this core received. */
export const C_RECV_BYTES = n++;
/** Times a ring's head waited because its target pid's mailbox was full (head-of-line). */
export const C_MAILBOX_STALLS = n++;
/** Payload blocks released by receivers on this core. */
export const C_BLOCKS_RELEASED = n++;
/** Releases refused because the block was already released or reused. */
export const C_STALE_RELEASES = n++;
/** Blocking receives that returned TIMEOUT. */
export const C_RECV_TIMEOUTS = n++;
/** Sends that found the receiving core asleep and rang its doorbell. */
export const C_DOORBELLS_RUNG = n++;
/** Messages staged on a channel (held until `submit`), released, and dropped by `close`. */
export const C_STAGED = n++;
export const C_RELEASED = n++;
export const C_STAGED_DROPPED = n++;
/** Notifications sent, and notification words taken by receivers on this core. */
export const C_NOTIFIES_SENT = n++;
export const C_NOTIFIES_RECEIVED = n++;
/** Calls made, replies sent, and calls that ended because the callee exited (DEAD_PEER). */
export const C_CALLS = n++;
export const C_REPLIES = n++;
export const C_DEAD_PEER = n++;
/** Capability-checked operations refused, by reason. */
export const C_DENIED_NO_CAP = n++;
export const C_DENIED_NO_RIGHT = n++;
export const C_DENIED_STALE_CHANNEL = n++;
export const C_DENIED_NOT_LISTENING = n++;
export const C_DENIED_NOT_WAITING = n++;
/** Dependency edges refused because they would close a cycle. */
export const C_CYCLES_REFUSED = n++;
/** Operations refused because a capability table or the edge pool was full. */
export const C_REJECTED_TABLE_FULL = n++;
/** Sends on remote channels refused because no network route exists. */
export const C_REJECTED_NO_ROUTE = n++;
/** Messages for an exited process that its pid's next process will not see (dropped at `Kernel.revive`). */
export const C_STALE_DROPPED = n++;
/** Number of counters in a block. */
export const COUNTER_COUNT = n;

/** Bytes of one counter block, padded to whole lines. */
export const COUNTER_BLOCK_BYTES = lines(COUNTER_COUNT * 8);
