// The C-style facade: the spec's examples ported nearly line by line, and its error paths.
import { afterEach, describe, expect, it } from 'vitest';
import { lattice } from '../../kernel/lattice_api.js';
import { Status } from '../../kernel/status.js';
import { type TestNode, test_node } from './kernel_helpers.js';

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

describe("the spec's example, ported", () => {
  it('sends m_type 42 from pid 1 to pid 1 and receives it (locally; test/net/remote.test.ts runs it across two nodes)', () => {
    node = test_node(small, { 1: 0 });
    const { lattice_connect, lattice_listen, lattice_send, lattice_recv, poll_network, message, LOCAL_NODE, OK } =
      lattice(node.kernel(0));

    // net::init({0, 15000}); net::add_remote(1, "127.0.0.1", 15001);   (remote: test/net/remote.test.ts)
    lattice_listen(1); // Receiving needs listen in Lattice.
    expect(lattice_connect(1, 1, LOCAL_NODE)).toBe(OK);
    const ping = new message();
    ping.m_type = 42;
    expect(lattice_send(1, 1, ping)).toBe(OK);
    let received = false;
    for (let i = 0; i < 10; i++) {
      poll_network();
      if (lattice_recv(1, ping) === OK) {
        received = true;
        break;
      }
    }
    // net::shutdown();
    expect(received).toBe(true);
    expect(ping.m_type).toBe(42);
  });

  it('Remote Channel Setup: connecting to another node returns OK', () => {
    node = test_node(small, { 5: 0 });
    const { lattice_connect, OK } = lattice(node.kernel(0));
    const REMOTE = 1;
    const SRC = 5;
    const DST = 10;
    const rc = lattice_connect(SRC, DST, REMOTE);
    expect(rc).toBe(OK);
  });
});

describe('facade error paths', () => {
  it("returns the kernel's statuses", async () => {
    node = test_node(small, { 1: 0, 2: 0, 3: 0 });
    const k = node.kernel(0);
    const api = lattice(k);
    const m = new api.message();
    expect(api.lattice_send(1, 2, m)).toBe(Status.NO_CHANNEL);
    expect(api.lattice_recv(2, m, api.IpcFlags.NONBLOCK)).toBe(Status.NOT_LISTENING);
    expect(api.lattice_connect(1, 2)).toBe(api.OK);
    expect(api.lattice_connect(1, 2)).toBe(api.OK); // Idempotent.
    expect(api.lattice_listen(2)).toBe(api.OK);
    expect(api.lattice_listen(-1)).toBe(Status.BAD_PID);
    expect(api.lattice_recv(2, m, api.IpcFlags.NONBLOCK)).toBe(Status.WOULD_BLOCK);
    const chan = api.lattice_channel_find(1, 2, api.ANY_NODE);
    expect(chan).toBeGreaterThanOrEqual(0);
    expect(api.lattice_channel_find(2, 1)).toBe(Status.NO_CHANNEL);
    // Capabilities still decide: revoke the sender's capability and the facade's send fails.
    k.revoke(1, k.connect(1, 2));
    expect(api.lattice_send(1, 2, m)).toBe(Status.NO_CAP);
    expect(api.lattice_connect(1, 2)).toBe(api.OK);
    // The graph.
    api.lattice_connect(3, 2);
    const other = api.lattice_channel_find(3, 2);
    expect(api.lattice_channel_add_dep(chan, other)).toBe(api.OK);
    expect(api.lattice_channel_add_dep(other, chan)).toBe(Status.CYCLE);
    m.m_type = 1;
    expect(api.lattice_send(3, 2, m, api.IpcFlags.STAGE)).toBe(api.OK);
    expect(api.lattice_channel_submit(other)).toBe(api.OK);
    expect(api.lattice_recv(2, m, api.IpcFlags.NONBLOCK)).toBe(api.OK);
    expect(api.lattice_channel_close(other)).toBe(api.OK);
    expect(api.lattice_channel_submit(other)).toBe(Status.STALE_CHANNEL);
    // notify and call.
    k.listen(1);
    api.lattice_connect(2, 1);
    expect(api.lattice_notify(2, 1, 8)).toBe(api.OK);
    expect(api.lattice_recv(1, m, api.IpcFlags.NONBLOCK)).toBe(api.OK);
    expect(m.badge).toBe(8);
    const reply = new api.message();
    const pending = k.call_async(1, k.connect(1, 2), m, reply, 5000);
    const request = new api.message();
    expect(api.lattice_recv(2, request, api.IpcFlags.NONBLOCK)).toBe(api.OK);
    m.m_type = 99;
    expect(api.lattice_reply(2, request, m)).toBe(api.OK);
    expect(await pending).toBe(api.OK);
    expect(reply.m_type).toBe(99);
    expect(api.lattice_call(3, 2, m, reply)).toBe(Status.NO_CHANNEL);
  });
});

describe('which channel the facade takes when a pid has several to the same pid', () => {
  it('the one inside the node first, else the lowest-numbered node; a node named explicitly wins', () => {
    node = test_node(small, { 1: 0, 2: 0 });
    const kernel = node.kernel(0);
    const api = lattice(kernel);
    api.lattice_listen(2);
    // Connected remotely first, then locally: the local channel must still be reachable.
    expect(api.lattice_connect(1, 2, 7)).toBe(api.OK);
    expect(api.lattice_connect(1, 2, api.LOCAL_NODE)).toBe(api.OK);
    const m = new api.message();
    m.m_type = 5;
    expect(api.lattice_send(1, 2, m)).toBe(api.OK);
    const r = new api.message();
    expect(api.lattice_recv(2, r, api.IpcFlags.NONBLOCK)).toBe(api.OK);
    expect([r.m_type, r.src_node]).toEqual([5, api.LOCAL_NODE]);
    // Naming node 7 takes the remote channel (no network here: NO_ROUTE, counted).
    expect(api.lattice_send(1, 2, m, api.IpcFlags.NONE, 7)).toBe(Status.NO_ROUTE);
    expect(api.lattice_notify(1, 2, 1, 7)).toBe(Status.NO_ROUTE);
    expect(kernel.stats().cores[0]!.rejected.no_route).toBe(2);
  });

  it('among remote channels only, the lowest node; once it closes, the next', () => {
    node = test_node(small, { 1: 0 });
    const kernel = node.kernel(0);
    const to_9 = kernel.connect(1, 2, 9);
    const to_4 = kernel.connect(1, 2, 4);
    expect(kernel.sender_cap(1, 2)).toBe(to_4);
    expect(kernel.close(kernel.channel_of(1, to_4))).toBe(Status.OK);
    expect(kernel.sender_cap(1, 2)).toBe(to_9);
    expect(kernel.sender_cap(1, 2, 4)).toBe(Status.NO_CHANNEL);
    expect(kernel.sender_cap(1, 3)).toBe(Status.NO_CHANNEL);
  });
});
