// Checks every shared-memory layout: fields inside their record, no two fields overlapping,
// each contended word on lines of its own, records a whole number of cache lines, and the
// region layouts computed from geometry tiling their buffers without gaps or overlaps.
import { describe, expect, it } from 'vitest';
import * as block from '../../kernel/layout/block_layout.js';
import * as cap from '../../kernel/layout/cap_layout.js';
import * as edge from '../../kernel/layout/edge_layout.js';
import * as process from '../../kernel/layout/process_layout.js';
import { CACHE_LINE_BYTES, CONTENDED_BYTES, WORD_BYTES } from '../../kernel/layout/cache_line.js';
import * as channel from '../../kernel/layout/channel_layout.js';
import * as counters from '../../kernel/layout/counter_layout.js';
import * as node from '../../kernel/layout/node_layout.js';
import * as ring from '../../kernel/layout/ring_layout.js';
import * as slot from '../../kernel/layout/slot_layout.js';
import * as spill from '../../kernel/layout/spill_layout.js';
import { DEFAULT_GEOMETRY } from '../../kernel/node_memory.js';

/** Fields as [name, byte offset, bytes]; checks bounds, alignment and that none overlap. */
function check_fields(fields: readonly (readonly [string, number, number])[], record_bytes: number): void {
  const sorted = [...fields].sort((a, b) => a[1] - b[1]);
  let end = 0;
  for (const [name, offset, bytes] of sorted) {
    expect(offset % WORD_BYTES, `${name} word aligned`).toBe(0);
    expect(offset, `${name} starts after the previous field ends`).toBeGreaterThanOrEqual(end);
    expect(offset + bytes, `${name} inside the record`).toBeLessThanOrEqual(record_bytes);
    end = offset + bytes;
  }
}

describe('slot layout', () => {
  it('is two cache lines: header line and a 64-byte payload line', () => {
    expect(slot.SLOT_BYTES).toBe(2 * CACHE_LINE_BYTES);
    expect(slot.SLOT_PAYLOAD).toBe(CACHE_LINE_BYTES);
    expect(slot.SLOT_PAYLOAD_BYTES_MAX).toBe(64);
    expect(slot.SLOT_HEADER_USED_BYTES).toBeLessThanOrEqual(CACHE_LINE_BYTES);
    const w = WORD_BYTES;
    check_fields(
      [
        ['publish_seq', slot.SLOT_PUBLISH_SEQ, w],
        ['channel', slot.SLOT_CHANNEL, w],
        ['src_pid', slot.SLOT_SRC_PID, w],
        ['dst_pid', slot.SLOT_DST_PID, w],
        ['m_type', slot.SLOT_M_TYPE, w],
        ['flags', slot.SLOT_FLAGS, w],
        ['channel_seq', slot.SLOT_SEQ, w],
        ['length', slot.SLOT_LENGTH, w],
        ['block_offset', slot.SLOT_BLOCK_OFFSET, w],
        ['block_gen', slot.SLOT_BLOCK_GEN, w],
        ['badge', slot.SLOT_BADGE, w],
        ['src_node', slot.SLOT_SRC_NODE, w],
        ['cap', slot.SLOT_CAP, w],
        ['aux0', slot.SLOT_AUX0, w],
        ['aux1', slot.SLOT_AUX1, w],
        ['aux2', slot.SLOT_AUX2, w],
        ['payload', slot.SLOT_PAYLOAD, slot.SLOT_PAYLOAD_BYTES_MAX],
      ],
      slot.SLOT_BYTES,
    );
  });

  it('word indexes are the byte offsets divided by four', () => {
    expect(slot.SLOT_WORDS * WORD_BYTES).toBe(slot.SLOT_BYTES);
    expect(slot.SLOT_SEQ_WORD * WORD_BYTES).toBe(slot.SLOT_SEQ);
    expect(slot.SLOT_PAYLOAD_WORD * WORD_BYTES).toBe(slot.SLOT_PAYLOAD);
    expect(slot.SLOT_AUX2_WORD * WORD_BYTES).toBe(slot.SLOT_AUX2);
  });

  it('kernel flags never overlap the user flags', () => {
    for (const [name, bit] of Object.entries(slot.SlotFlags)) {
      if (name === 'USER_MASK') continue;
      expect(bit & slot.SlotFlags.USER_MASK, name).toBe(0);
    }
  });
});

describe('ring layout', () => {
  it('gives tail and head two cache lines each, then slots on a line boundary', () => {
    expect(ring.RING_TAIL).toBe(0);
    expect(ring.RING_HEAD - ring.RING_TAIL).toBe(CONTENDED_BYTES);
    expect(ring.RING_SLOTS - ring.RING_HEAD).toBe(CONTENDED_BYTES);
    expect(ring.RING_SLOTS % CACHE_LINE_BYTES).toBe(0);
    expect(ring.ring_bytes(8)).toBe(ring.RING_HEADER_BYTES + 8 * slot.SLOT_BYTES);
  });

  it('refuses capacities that are not powers of two', () => {
    expect(() => ring.ring_bytes(6)).toThrow(/power of two/);
    expect(() => ring.ring_bytes(0)).toThrow(/power of two/);
  });
});

describe('block layout', () => {
  it('has a one-line header and line-aligned data', () => {
    expect(block.BLOCK_DATA).toBe(CACHE_LINE_BYTES);
    check_fields(
      [
        ['next', block.BLOCK_NEXT, 4],
        ['class', block.BLOCK_CLASS, 4],
        ['tag', block.BLOCK_TAG, 4],
        ['owner_core', block.BLOCK_OWNER_CORE, 4],
        ['length', block.BLOCK_LENGTH, 4],
      ],
      block.BLOCK_HEADER_BYTES,
    );
  });

  it('packs generation and state into one tag and unpacks them', () => {
    const tag = block.block_tag(12345, block.BlockState.PAYLOAD);
    expect(tag & block.BLOCK_STATE_MASK).toBe(block.BlockState.PAYLOAD);
    expect(tag >>> 2).toBe(12345);
    expect(block.block_tag(block.BLOCK_GENERATION_MASK + 1, 0)).toBe(0); // Generations wrap.
  });
});

describe('channel layout', () => {
  const line = (offset: number) => Math.floor(offset / CACHE_LINE_BYTES);

  it('gives the sender side (with every word a send reads), the receiver side, the control words and the staging words a line each', () => {
    expect(line(channel.CHANNEL_SEND_SEQ)).toBe(0);
    expect(line(channel.CHANNEL_KEY)).toBe(0);
    expect(line(channel.CHANNEL_DST_PID)).toBe(0);
    expect(line(channel.CHANNEL_TAG)).toBe(0);
    expect(line(channel.CHANNEL_STAGING)).toBe(0);
    expect(line(channel.CHANNEL_RECV_SEQ)).toBe(1);
    expect(line(channel.CHANNEL_OWNER_CAP)).toBe(2);
    expect(line(channel.CHANNEL_STAGED_HEAD)).toBe(3);
    expect(line(channel.CHANNEL_SUBMIT_TARGET)).toBe(3);
    expect(channel.CHANNEL_BYTES).toBe(4 * CACHE_LINE_BYTES);
    check_fields(
      [
        ['key', channel.CHANNEL_KEY, 4],
        ['src_node', channel.CHANNEL_SRC_NODE, 4],
        ['dst_node', channel.CHANNEL_DST_NODE, 4],
        ['src_pid', channel.CHANNEL_SRC_PID, 4],
        ['dst_pid', channel.CHANNEL_DST_PID, 4],
        ['send_seq', channel.CHANNEL_SEND_SEQ, 4],
        ['recv_seq', channel.CHANNEL_RECV_SEQ, 4],
        ['tag', channel.CHANNEL_TAG, 4],
        ['owner_cap', channel.CHANNEL_OWNER_CAP, 4],
        ['staging', channel.CHANNEL_STAGING, 4],
        ['staged_head', channel.CHANNEL_STAGED_HEAD, 4],
        ['staged_tail', channel.CHANNEL_STAGED_TAIL, 4],
        ['staged_total', channel.CHANNEL_STAGED_TOTAL, 4],
        ['released_total', channel.CHANNEL_RELEASED_TOTAL, 4],
        ['submit_target', channel.CHANNEL_SUBMIT_TARGET, 4],
      ],
      channel.CHANNEL_BYTES,
    );
  });

  it('keeps keys nonzero and handles positive', () => {
    expect(channel.channel_key(0, 0)).not.toBe(0);
    expect(channel.channel_key(32766, 32766)).toBeGreaterThan(0);
    expect(channel.CHANNEL_INDEX_BITS + channel.CHANNEL_HANDLE_GEN_BITS).toBe(31);
    expect(channel.channel_tag(5, channel.ChannelState.CLOSED) & 3).toBe(channel.ChannelState.CLOSED);
    expect(channel.channel_tag(5, channel.ChannelState.OPEN) >>> 2).toBe(5);
  });
});

describe('process, capability and edge layouts', () => {
  it('puts the notification word alone on its line and the reply slot line-aligned', () => {
    expect(process.PROCESS_NOTIFY_BITS).toBe(0);
    expect(process.PROCESS_FLAGS).toBe(CACHE_LINE_BYTES);
    expect(process.PROCESS_REPLY_SLOT % CACHE_LINE_BYTES).toBe(0);
    expect(process.PROCESS_BYTES).toBe(process.PROCESS_REPLY_SLOT + slot.SLOT_BYTES);
    check_fields(
      [
        ['notify_bits', process.PROCESS_NOTIFY_BITS, 4],
        ['flags', process.PROCESS_FLAGS, 4],
        ['call_seq', process.PROCESS_CALL_SEQ, 4],
        ['reply_state', process.PROCESS_REPLY_STATE, 4],
        ['reply_status', process.PROCESS_REPLY_STATUS, 4],
        ['reply_slot', process.PROCESS_REPLY_SLOT, slot.SLOT_BYTES],
      ],
      process.PROCESS_BYTES,
    );
  });

  it('packs a capability into 32 bytes and a handle into a positive Int32', () => {
    expect(cap.CAP_BYTES).toBe(32);
    check_fields(
      [
        ['tag', cap.CAP_TAG, 4],
        ['kind_rights', cap.CAP_KIND_RIGHTS, 4],
        ['target', cap.CAP_TARGET, 4],
        ['target_gen', cap.CAP_TARGET_GEN, 4],
        ['badge', cap.CAP_BADGE, 4],
        ['parent', cap.CAP_PARENT, 4],
        ['first_child', cap.CAP_FIRST_CHILD, 4],
        ['next_sibling', cap.CAP_NEXT_SIBLING, 4],
      ],
      cap.CAP_BYTES,
    );
    expect((cap.CAP_GENERATION_MASK << cap.CAP_SLOT_BITS) | cap.CAP_SLOT_MASK).toBeGreaterThan(0);
    expect(cap.Rights.ALL).toBe(cap.Rights.SEND | cap.Rights.GRANT | cap.Rights.CONTROL);
  });

  it('packs an edge into 32 bytes', () => {
    expect(edge.EDGE_BYTES).toBe(32);
    check_fields(
      [
        ['parent', edge.EDGE_PARENT, 4],
        ['child', edge.EDGE_CHILD, 4],
        ['next_out', edge.EDGE_NEXT_OUT, 4],
        ['next_in', edge.EDGE_NEXT_IN, 4],
        ['need', edge.EDGE_NEED, 4],
        ['next_free', edge.EDGE_NEXT_FREE, 4],
        ['next_same', edge.EDGE_NEXT_SAME, 4],
        ['in_same', edge.EDGE_IN_SAME, 4],
      ],
      edge.EDGE_BYTES,
    );
  });
});

describe('counter layout', () => {
  it('keeps a block a whole number of lines and the tiered counters contiguous', () => {
    expect(counters.COUNTER_BLOCK_BYTES % CACHE_LINE_BYTES).toBe(0);
    expect(counters.COUNTER_BLOCK_BYTES).toBeGreaterThanOrEqual(counters.COUNTER_COUNT * 8);
    expect(counters.C_SENT_BYTES_TIER - counters.C_SENT_TIER).toBe(counters.TIER_COUNT);
    expect(counters.TIER_NAMES.length).toBe(counters.TIER_COUNT);
  });
});

describe('spill region layout', () => {
  const layout = spill.spill_layout(4, spill.DEFAULT_SLAB_CLASSES);

  it('tiles the region: header, queues, class descriptors, bitmaps, blocks', () => {
    expect(layout.queues_offset).toBe(spill.SPILL_HEADER_BYTES);
    expect(layout.class_descriptors_offset).toBe(layout.queues_offset + 4 * spill.SPILL_QUEUE_BYTES);
    expect(layout.bitmap_offsets[0]).toBe(
      layout.class_descriptors_offset + layout.classes.length * spill.CLASS_DESCRIPTOR_BYTES,
    );
    for (let k = 1; k < layout.classes.length; k++) {
      expect(layout.bitmap_offsets[k]! - layout.bitmap_offsets[k - 1]!).toBeGreaterThanOrEqual(
        layout.bitmap_words[k - 1]! * 4,
      );
      expect(layout.blocks_offsets[k]).toBe(
        layout.blocks_offsets[k - 1]! + layout.classes[k - 1]!.block_count * layout.strides[k - 1]!,
      );
    }
    const last = layout.classes.length - 1;
    expect(layout.region_bytes).toBe(
      layout.blocks_offsets[last]! + layout.classes[last]!.block_count * layout.strides[last]!,
    );
    for (const offset of [...layout.bitmap_offsets, ...layout.blocks_offsets])
      expect(offset % CACHE_LINE_BYTES).toBe(0);
  });

  it('gives the queue tail and head contended lines and a stub', () => {
    expect(spill.SPILL_QUEUE_HEAD - spill.SPILL_QUEUE_TAIL).toBe(CONTENDED_BYTES);
    expect(spill.SPILL_QUEUE_STUB - spill.SPILL_QUEUE_HEAD).toBe(CONTENDED_BYTES);
    expect(spill.SPILL_QUEUE_BYTES % CACHE_LINE_BYTES).toBe(0);
  });

  it('keeps the class cursor off the read-only geometry line', () => {
    expect(spill.CLASS_CURSOR).toBeGreaterThanOrEqual(CACHE_LINE_BYTES);
    expect(spill.CLASS_BITMAP_WORDS).toBeLessThan(CACHE_LINE_BYTES);
  });

  it('picks the smallest class that holds a slot for spilled messages', () => {
    expect(layout.classes[layout.spill_class]!.block_bytes).toBeGreaterThanOrEqual(slot.SLOT_BYTES);
    const small = spill.spill_layout(1, [
      { block_bytes: 64, block_count: 4 },
      { block_bytes: 256, block_count: 4 },
    ]);
    expect(small.spill_class).toBe(1);
  });

  it('fits the header: the class list ends inside the first line', () => {
    expect((spill.SPILL_HEADER_CLASSES_WORD + 2 * spill.SPILL_CLASSES_MAX) * WORD_BYTES).toBeLessThanOrEqual(
      spill.SPILL_HEADER_BYTES,
    );
  });
});

describe('node control layout', () => {
  const layout = node.node_layout(DEFAULT_GEOMETRY);

  it('lays out its parts in order, each on a line boundary', () => {
    const parts = [
      ['pid_table', layout.pid_table],
      ['core_controls', layout.core_controls],
      ['producer_controls', layout.producer_controls],
      ['counter_blocks', layout.counter_blocks],
      ['rings', layout.rings],
      ['mailboxes', layout.mailboxes],
      ['channel_table', layout.channel_table],
      ['graph_levels', layout.graph_levels],
      ['graph_first_out', layout.graph_first_out],
      ['graph_first_in', layout.graph_first_in],
      ['graph_first_same', layout.graph_first_same],
      ['process_table', layout.process_table],
      ['cap_tables', layout.cap_tables],
      ['edge_pool', layout.edge_pool],
      ['end', layout.control_bytes],
    ] as const;
    for (let i = 0; i < parts.length; i++) {
      expect(parts[i]![1] % CACHE_LINE_BYTES, parts[i]![0]).toBe(0);
      if (i > 0) expect(parts[i]![1], parts[i]![0]).toBeGreaterThan(parts[i - 1]![1]);
    }
    expect(layout.core_controls - layout.pid_table).toBeGreaterThanOrEqual(DEFAULT_GEOMETRY.pids_max * 4);
    expect(layout.rings - layout.counter_blocks).toBe(
      (layout.cores + DEFAULT_GEOMETRY.producers_max) * counters.COUNTER_BLOCK_BYTES,
    );
    expect(layout.channel_table - layout.mailboxes).toBe(DEFAULT_GEOMETRY.pids_max * layout.mailbox_bytes);
    expect(layout.graph_levels - layout.channel_table).toBe(DEFAULT_GEOMETRY.channels_max * channel.CHANNEL_BYTES);
    for (const [a, b] of [
      [layout.graph_levels, layout.graph_first_out],
      [layout.graph_first_out, layout.graph_first_in],
      [layout.graph_first_in, layout.graph_first_same],
      [layout.graph_first_same, layout.process_table],
    ] as const) {
      expect(b - a).toBe(DEFAULT_GEOMETRY.channels_max * WORD_BYTES); // One dense Int32 per channel.
    }
    expect(layout.cap_tables - layout.process_table).toBe(DEFAULT_GEOMETRY.pids_max * process.PROCESS_BYTES);
    expect(layout.edge_pool - layout.cap_tables).toBeGreaterThanOrEqual(
      DEFAULT_GEOMETRY.pids_max * DEFAULT_GEOMETRY.caps_per_pid * cap.CAP_BYTES,
    );
    expect(layout.control_bytes - layout.edge_pool).toBeGreaterThanOrEqual(
      DEFAULT_GEOMETRY.edges_max * edge.EDGE_BYTES,
    );
  });

  it('places every ring of every core without overlap', () => {
    const spans: [number, number][] = [];
    for (let core = 0; core < layout.cores; core++) {
      for (let tier = 0; tier < 3; tier++) {
        const start = node.ring_offset(layout, core, tier);
        spans.push([start, start + ring.ring_bytes(layout.ring_capacities[tier as 0 | 1 | 2])]);
      }
    }
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBe(spans[i - 1]![1]);
    expect(spans[0]![0]).toBe(layout.rings);
    expect(spans[spans.length - 1]![1]).toBe(layout.mailboxes);
  });

  it('keeps the header words inside the header and the lock on its own lines', () => {
    expect((node.NODE_EDGES_MAX_WORD + 1) * WORD_BYTES).toBeLessThanOrEqual(node.NODE_HEADER_BYTES);
    expect(node.NODE_GRAPH - node.NODE_CLOSING).toBe(CACHE_LINE_BYTES);
    expect(node.NODE_PID_TABLE - node.NODE_GRAPH).toBe(CACHE_LINE_BYTES);
    expect(node.NODE_CLOSING - node.NODE_LOCK).toBe(CONTENDED_BYTES);
    expect(node.CORE_OWNER).toBe(CACHE_LINE_BYTES);
    expect(node.CORE_CONTROL_BYTES).toBe(2 * CACHE_LINE_BYTES);
  });

  it('refuses geometry outside its limits', () => {
    expect(() => node.node_layout({ ...DEFAULT_GEOMETRY, channels_max: 1000 })).toThrow(/power of two/);
    expect(() => node.node_layout({ ...DEFAULT_GEOMETRY, sockets: 0 })).toThrow(/sockets/);
  });
});
