// The debug switch (KernelEnv.debug): with it on, the hot path asserts its invariants on both
// sides of a slot and the ring; a slot corrupted in shared memory is caught where it is read,
// with an AssertionError that names the broken invariant, instead of being misread. With it off
// (the benchmarks) the same corruption goes unnoticed by the checks: that is what they cost.
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../kernel/assert.js';
import { real_env } from '../../kernel/env.js';
import { Fastpath, IpcFlags } from '../../kernel/fastpath.js';
import { Kernel } from '../../kernel/kernel.js';
import { ring_offset } from '../../kernel/layout/node_layout.js';
import { SLOT_CHANNEL_WORD, SLOT_LENGTH_WORD } from '../../kernel/layout/slot_layout.js';
import { Message } from '../../kernel/message.js';
import { NodeMemory } from '../../kernel/node_memory.js';
import { Ring } from '../../kernel/ring.js';
import { Status } from '../../kernel/status.js';
import { RemoteKind, encode_kind_into, rm_header_bytes } from '../../net/remote_message.js';

/** A node with pids 1 and 2 on core 0, one message from 1 to 2 in core 0's L1 ring, and its slot's word index. */
function sent(debug: boolean) {
  const memory = NodeMemory.create({ sockets: 1, cores_per_socket: 2, pids_max: 8, channels_max: 16 });
  memory.bind(1, 0);
  memory.bind(2, 0);
  const core = Fastpath.attach_core(memory, 0, real_env(0, debug));
  const m = new Message();
  m.set_payload(Uint8Array.of(1, 2, 3));
  expect(core.send(1, 2, m)).toBe(Status.OK);
  const ring = new Ring(memory.i32, ring_offset(memory.layout, 0, 0), memory.layout.ring_capacities[0]);
  return { memory, core, slot: ring.slot_word(0), r: new Message() };
}

describe('the debug switch', () => {
  it('catches a slot whose channel index is out of range, where it is read', () => {
    const on = sent(true);
    on.memory.i32[on.slot + SLOT_CHANNEL_WORD] = 1 << 20;
    expect(() => on.core.recv(2, on.r, IpcFlags.NONBLOCK)).toThrow(/slot channel index/);
    const off = sent(false);
    off.memory.i32[off.slot + SLOT_CHANNEL_WORD] = 1 << 20;
    expect(() => off.core.recv(2, off.r, IpcFlags.NONBLOCK)).not.toThrow(AssertionError);
  });

  it('catches an inline length over the cap', () => {
    const on = sent(true);
    on.memory.i32[on.slot + SLOT_LENGTH_WORD] = 65;
    expect(() => on.core.recv(2, on.r, IpcFlags.NONBLOCK)).toThrow(/slot inline length/);
  });

  it('catches a slot for a pid bound to another core than the one consuming it', () => {
    const on = sent(true);
    on.memory.unbind(2);
    on.memory.bind(2, 1);
    expect(() => on.core.recv(1, on.r, IpcFlags.NONBLOCK)).toThrow(/bound to the consuming core/);
  });

  it('catches a ring claim count out of range and slots published without a claim', () => {
    const memory = NodeMemory.create({ sockets: 1, cores_per_socket: 1 });
    const offset = ring_offset(memory.layout, 0, 0);
    const capacity = memory.layout.ring_capacities[0];
    const ring = new Ring(memory.i32, offset, capacity);
    expect(ring.claim(2)).toBe(true);
    const position = ring.claimed;
    expect(() => ring.check_claim(position, 2)).not.toThrow();
    expect(() => ring.check_claim(position, 0)).toThrow(/ring claim count/);
    expect(() => ring.check_claim(position, capacity + 1)).toThrow(/ring claim count/);
    expect(() => ring.check_claim((position + 1) | 0, 2)).toThrow(/slots were claimed/);
    expect(ring.claim(capacity + 1)).toBe(false);
  });

  it('asserts the route on both sides: no remote channel reaches the fastpath, no bad pid reaches the wire', () => {
    const memory = NodeMemory.create({ sockets: 1, cores_per_socket: 1, pids_max: 8 });
    memory.bind(1, 0);
    const kernel = new Kernel(Fastpath.attach_core(memory, 0, real_env(0, true)));
    const cap = kernel.connect(1, 2, 9);
    const channel = kernel.caps.validate_channel(1, cap, 0);
    expect(() => kernel.fastpath.send_channel(1, channel, new Message(), 0, false)).toThrow(
      /a channel inside this node/,
    );
    const bytes = new Uint8Array(rm_header_bytes(RemoteKind.DATA));
    expect(() => encode_kind_into(bytes, RemoteKind.DATA, -1, 2, new Message(), bytes, 0, 0, 0)).toThrow(/src_pid/);
  });
});
