// Capabilities: sending needs a SEND capability, receiving needs listen; derive narrows rights,
// revoke removes a whole subtree wherever it was granted; stale handles (revoked, slot reused,
// channel closed) are refused through generations. Every denial is a typed status and counted.
import { afterEach, describe, expect, it } from 'vitest';
import { IpcFlags } from '../../kernel/fastpath.js';
import { Rights } from '../../kernel/layout/cap_layout.js';
import { SlotFlags } from '../../kernel/layout/slot_layout.js';
import { Message } from '../../kernel/message.js';
import { Status } from '../../kernel/status.js';
import { type TestNode, drain, msg, test_node } from './kernel_helpers.js';

let node: TestNode | null = null;
afterEach(() => {
  node?.close();
  node = null;
});

const small = {
  pids_max: 32,
  channels_max: 64,
  caps_per_pid: 8,
  slab_classes: [{ block_bytes: 128, block_count: 64 }],
};

function setup() {
  node = test_node(small, { 1: 0, 2: 1, 3: 0, 4: 1 });
  const k0 = node.kernel(0);
  const k1 = node.kernel(1);
  k1.listen(2);
  k1.listen(4);
  return { k0, k1 };
}

describe('send needs a capability', () => {
  it('delivers with the badge of the capability used', () => {
    const { k0, k1 } = setup();
    const cap = k0.connect(1, 2, 0, { badge: 0x55 });
    expect(cap).toBeGreaterThan(0);
    expect(k0.send(1, cap, msg(7))).toBe(Status.OK);
    const r = new Message();
    expect(k1.recv(2, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect([r.m_type, r.badge, r.src_pid]).toEqual([7, 0x55, 1]);
  });

  it("refuses made-up handles, another process's handle, and missing rights", () => {
    const { k0 } = setup();
    const cap = k0.connect(1, 2);
    expect(k0.send(1, 0, msg(1))).toBe(Status.NO_CAP);
    expect(k0.send(1, -5, msg(1))).toBe(Status.NO_CAP);
    expect(k0.send(1, cap + 1, msg(1))).toBe(Status.NO_CAP); // Slot 1: never issued.
    expect(k0.send(3, cap, msg(1))).toBe(Status.NO_CAP); // pid 3 holds nothing in that slot.
    const no_send = k0.derive(1, cap, Rights.GRANT);
    expect(k0.send(1, no_send, msg(1))).toBe(Status.NO_RIGHT);
    expect(k0.notify(1, no_send, 1)).toBe(Status.NO_RIGHT);
    const denied = k0.stats().cores[0]!.denied;
    expect(denied.no_cap).toBe(4);
    expect(denied.no_right).toBe(2);
  });

  it('refuses receiving until listen, and counts it', () => {
    const { k0, k1 } = setup();
    const cap = k0.connect(1, 2);
    k0.send(1, cap, msg(1));
    node!.memory.bind(9, 1);
    expect(k1.recv(9, new Message(), IpcFlags.NONBLOCK)).toBe(Status.NOT_LISTENING);
    expect(k1.stats().cores[1]!.denied.not_listening).toBe(1);
    expect(drain(k1, 2)).toEqual([1]);
  });
});

describe('derive and revoke', () => {
  it('derives with fewer rights only, and mints a badge only from an unbadged capability', () => {
    const { k0 } = setup();
    const cap = k0.connect(1, 2);
    const send_only = k0.derive(1, cap, Rights.SEND, 9);
    expect(k0.cap_info(1, send_only)).toEqual({
      kind: 'channel',
      rights: Rights.SEND,
      badge: 9,
      target: expect.any(Number),
    });
    expect(k0.derive(1, send_only, Rights.SEND | Rights.GRANT)).toBe(Status.NO_RIGHT);
    expect(k0.derive(1, send_only, Rights.SEND, 10)).toBe(Status.BAD_ARGUMENT); // Already badged.
    expect(k0.derive(1, send_only, 64)).toBe(Status.BAD_ARGUMENT);
    expect(k0.send(1, send_only, msg(3))).toBe(Status.OK);
  });

  it('revoke removes the capability and everything derived from it, in any table', () => {
    const { k0, k1 } = setup();
    const root = k0.connect(1, 2);
    const child = k0.derive(1, root, Rights.ALL);
    const grandchild = k0.derive(1, child, Rights.SEND);
    // Grant a copy of `child` to pid 2, carried by a message.
    const carrier = msg(50);
    carrier.cap = child;
    expect(k0.send(1, root, carrier, IpcFlags.GRANT)).toBe(Status.OK);
    const r = new Message();
    expect(k1.recv(2, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(r.flags & SlotFlags.GRANT).toBe(SlotFlags.GRANT);
    const granted = r.cap;
    expect(k1.cap_info(2, granted)).toMatchObject({ kind: 'channel', rights: Rights.ALL });
    expect(k0.revoke(1, child)).toBe(Status.OK);
    expect(k0.send(1, child, msg(1))).toBe(Status.NO_CAP);
    expect(k0.send(1, grandchild, msg(1))).toBe(Status.NO_CAP);
    expect(k1.cap_info(2, granted)).toBeNull(); // The granted copy went too.
    expect(k0.send(1, root, msg(2))).toBe(Status.OK); // The root stays.
    expect(k0.revoke(1, child)).toBe(Status.NO_CAP);
  });

  it('a handle of a revoked capability never reaches the capability that reuses its slot', () => {
    const { k0 } = setup();
    const a = k0.connect(1, 2);
    const b = k0.derive(1, a, Rights.SEND);
    expect(k0.delete_cap(1, b)).toBe(Status.OK);
    const c = k0.derive(1, a, Rights.SEND); // Reuses b's slot, at a new generation.
    expect(c & 0xff).toBe(b & 0xff);
    expect(c).not.toBe(b);
    expect(k0.send(1, b, msg(1))).toBe(Status.NO_CAP);
    expect(k0.send(1, c, msg(1))).toBe(Status.OK);
  });

  it('delete keeps what was derived from the deleted capability', () => {
    const { k0 } = setup();
    const a = k0.connect(1, 2);
    const b = k0.derive(1, a, Rights.SEND);
    expect(k0.delete_cap(1, a)).toBe(Status.OK);
    expect(k0.send(1, b, msg(1))).toBe(Status.OK);
  });

  it('refuses to grant without the GRANT right, and takes the copy back if the send fails', () => {
    const { k0 } = setup();
    const root = k0.connect(1, 2);
    const send_only = k0.derive(1, root, Rights.SEND);
    const m = msg(1);
    m.cap = send_only;
    expect(k0.send(1, root, m, IpcFlags.GRANT)).toBe(Status.NO_RIGHT);
    node!.memory.unbind(2);
    m.cap = root;
    expect(k0.send(1, root, m, IpcFlags.GRANT)).toBe(Status.NOT_BOUND);
    expect(k0.cap_list(2)).toEqual([]); // No copy left behind.
  });

  it('refuses when a capability table is full', () => {
    const { k0 } = setup();
    const root = k0.connect(1, 2);
    for (let i = 1; i < small.caps_per_pid; i++) expect(k0.derive(1, root, Rights.SEND)).toBeGreaterThan(0);
    expect(k0.derive(1, root, Rights.SEND)).toBe(Status.TABLE_FULL);
    expect(k0.stats().cores[0]!.rejected.table_full).toBe(1);
  });
});

describe('closed channels', () => {
  it('make every capability of the old incarnation stale; reconnecting gives a new one', () => {
    const { k0, k1 } = setup();
    const cap = k0.connect(1, 2);
    const derived = k0.derive(1, cap, Rights.SEND);
    const channel = k0.find(1, 2);
    expect(k0.send(1, cap, msg(1))).toBe(Status.OK);
    expect(k0.close(channel)).toBe(Status.OK);
    expect(k0.send(1, cap, msg(2))).toBe(Status.STALE_CHANNEL);
    expect(k0.send(1, derived, msg(2))).toBe(Status.STALE_CHANNEL);
    expect(k0.close(channel)).toBe(Status.STALE_CHANNEL);
    expect(k0.find(1, 2)).toBe(Status.NO_CHANNEL);
    const again = k0.connect(1, 2);
    expect(again).toBeGreaterThan(0);
    expect(k0.find(1, 2)).not.toBe(channel);
    expect(k0.send(1, again, msg(3))).toBe(Status.OK);
    expect(drain(k1, 2)).toEqual([1, 3]); // The message sent before close is still delivered.
    expect(k0.stats().cores[0]!.denied.stale_channel).toBe(3);
  });

  it('connect is idempotent while the owner capability is valid', () => {
    const { k0 } = setup();
    const a = k0.connect(1, 2);
    expect(k0.connect(1, 2)).toBe(a);
    k0.revoke(1, a);
    const b = k0.connect(1, 2);
    expect(b).toBeGreaterThan(0);
    expect(b).not.toBe(a);
  });

  it('refuses bad pids and nodes at connect', () => {
    const { k0 } = setup();
    expect(k0.connect(-1, 2)).toBe(Status.BAD_PID);
    expect(k0.connect(1, 99)).toBe(Status.BAD_PID);
    expect(k0.connect(1, 2, -3)).toBe(Status.BAD_ARGUMENT);
    expect(k0.connect(1, 2, 0, { rights: 99 })).toBe(Status.BAD_ARGUMENT);
    const remote = k0.connect(1, 2, 7); // Another node: allowed, but there is no route yet.
    expect(remote).toBeGreaterThan(0);
    expect(k0.send(1, remote, msg(1))).toBe(Status.NO_ROUTE);
    expect(k0.stats().cores[0]!.rejected.no_route).toBe(1);
  });
});
