/**
 * Dependency edge of the channel graph: "child depends on parent".
 *
 * Edges live in a fixed pool; a channel lists its outgoing edges (to children) and incoming
 * edges (from parents) through intrusive links, so the cycle check and the release walk visit
 * only the edges they need. Written and read only under the control lock.
 *
 *   0               4               8               12              16
 *   +---------------+---------------+---------------+---------------+
 *   | parent        | child         | next_out      | next_in       |
 *   +---------------+---------------+---------------+---------------+
 *   | need          | next_free     | next_same     | in_same       |
 *   +---------------+---------------+---------------+---------------+  32
 *
 * - parent, child: channel indexes; parent is -1 while the edge is free.
 * - next_out / next_in: the next edge with the same parent / the same child, -1 at the end.
 * - need: how many messages the parent must have released before the child's pending batch
 *   may go (the parent's staged total when the child was last submitted).
 * - next_free: the free list's link while the edge is free.
 * - next_same / in_same: the link of, and whether the edge is in, its child's list of incoming
 *   edges from parents at the same level (graph.ts: the backward search walks only those).
 */
import { WORD_BYTES } from './cache_line.js';

let offset = 0;
export const EDGE_PARENT = offset;
offset += WORD_BYTES;
export const EDGE_CHILD = offset;
offset += WORD_BYTES;
export const EDGE_NEXT_OUT = offset;
offset += WORD_BYTES;
export const EDGE_NEXT_IN = offset;
offset += WORD_BYTES;
export const EDGE_NEED = offset;
offset += WORD_BYTES;
export const EDGE_NEXT_FREE = offset;
offset += WORD_BYTES;
export const EDGE_NEXT_SAME = offset;
offset += WORD_BYTES;
export const EDGE_IN_SAME = offset;
offset += WORD_BYTES;
offset = 8 * WORD_BYTES;
/** Bytes of one edge. */
export const EDGE_BYTES = offset;

export const EDGE_WORDS = EDGE_BYTES / WORD_BYTES;
export const EDGE_PARENT_WORD = EDGE_PARENT / WORD_BYTES;
export const EDGE_CHILD_WORD = EDGE_CHILD / WORD_BYTES;
export const EDGE_NEXT_OUT_WORD = EDGE_NEXT_OUT / WORD_BYTES;
export const EDGE_NEXT_IN_WORD = EDGE_NEXT_IN / WORD_BYTES;
export const EDGE_NEED_WORD = EDGE_NEED / WORD_BYTES;
export const EDGE_NEXT_FREE_WORD = EDGE_NEXT_FREE / WORD_BYTES;
export const EDGE_NEXT_SAME_WORD = EDGE_NEXT_SAME / WORD_BYTES;
export const EDGE_IN_SAME_WORD = EDGE_IN_SAME / WORD_BYTES;
