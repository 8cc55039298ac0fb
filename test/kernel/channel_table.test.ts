// The channel table: the one owner of channel entries. Lookup and insert (with the probe
// sequence shared by every destination node), handles that go stale when a channel closes, the
// destination a route is read from, the facade's choice among several channels, and a full table.
import { describe, expect, it } from 'vitest';
import { ANY_NODE, ChannelTable, LOCAL_NODE } from '../../kernel/channel_table.js';
import { real_env } from '../../kernel/env.js';
import { NodeMemory } from '../../kernel/node_memory.js';
import { Status } from '../../kernel/status.js';
import {
  ChannelState,
  channel_handle,
  channel_handle_index,
  channel_handle_matches,
  channel_tag,
  channel_tag_generation,
  channel_tag_state,
} from '../../kernel/layout/channel_layout.js';

function table(channels_max = 16): ChannelTable {
  const memory = NodeMemory.create({ sockets: 1, cores_per_socket: 1, pids_max: 32, channels_max });
  return new ChannelTable(memory, real_env(0, true));
}

describe('the channel table', () => {
  it('inserts once, finds again, and names the destination a route is read from', () => {
    const t = table();
    const local = t.of(LOCAL_NODE, LOCAL_NODE, 1, 2);
    const remote = t.of(LOCAL_NODE, 5, 1, 2);
    expect(local).not.toBe(remote);
    expect(t.of(LOCAL_NODE, LOCAL_NODE, 1, 2)).toBe(local);
    expect(t.find(LOCAL_NODE, 5, 1, 2)).toBe(remote);
    expect(t.find(LOCAL_NODE, 6, 1, 2)).toBe(-1);
    expect(t.find(LOCAL_NODE, 5, 2, 1)).toBe(-1);
    expect([t.is_remote(local), t.is_remote(remote)]).toEqual([false, true]);
    expect(t.destination(remote, { node: 0, pid: 0 })).toEqual({ node: 5, pid: 2 });
    expect([t.src_node(remote), t.src_pid(remote), t.dst_pid(remote)]).toEqual([LOCAL_NODE, 1, 2]);
    // An inbound channel (from node 3's pid 1) is another entry.
    expect(t.of(3, LOCAL_NODE, 1, 2)).not.toBe(local);
    t.check(local);
  });

  it('gives handles that go stale when the channel closes, and new ones when it reopens', () => {
    const t = table();
    const c = t.of(LOCAL_NODE, LOCAL_NODE, 1, 2);
    const handle = t.handle(c);
    expect(t.index_of(handle)).toBe(c);
    t.close(c);
    expect(t.is_open(c)).toBe(false);
    expect(t.index_of(handle)).toBe(Status.STALE_CHANNEL);
    expect(t.reopen(c)).toBe(t.generation(c));
    expect(t.index_of(handle)).toBe(Status.STALE_CHANNEL); // The old incarnation's handle stays stale.
    expect(t.index_of(t.handle(c))).toBe(c);
    expect(t.index_of(channel_handle(15, 1))).toBe(Status.NO_CHANNEL); // A free entry.
    expect(t.index_of(-1)).toBe(Status.NO_CHANNEL);
  });

  it("finds the facade's channel: inside the node first, else the lowest node, open ones only", () => {
    const t = table();
    const to_9 = t.of(LOCAL_NODE, 9, 1, 2);
    const to_4 = t.of(LOCAL_NODE, 4, 1, 2);
    expect(t.find_for_send(1, 2)).toBe(to_4);
    t.close(to_4);
    expect(t.find_for_send(1, 2)).toBe(to_9);
    const local = t.of(LOCAL_NODE, LOCAL_NODE, 1, 2);
    expect(t.find_for_send(1, 2)).toBe(local);
    expect(t.find(LOCAL_NODE, ANY_NODE, 1, 2)).toBeGreaterThanOrEqual(0);
    expect(t.find_for_send(2, 1)).toBe(-1);
  });

  it('keeps one entry free, so a lookup always ends; a full table refuses with -1', () => {
    const t = table(8);
    const made = new Set<number>();
    for (let pid = 0; pid < 7; pid++) made.add(t.of(LOCAL_NODE, LOCAL_NODE, pid, 31));
    expect(made.size).toBe(7);
    expect(t.of(LOCAL_NODE, LOCAL_NODE, 9, 31)).toBe(-1);
    expect(t.find(LOCAL_NODE, LOCAL_NODE, 9, 31)).toBe(-1);
  });

  it('has tag and handle helpers that round-trip', () => {
    for (const generation of [0, 1, 7, 0x3fff_ffff]) {
      for (const state of [ChannelState.FREE, ChannelState.OPEN, ChannelState.CLOSED]) {
        const tag = channel_tag(generation, state);
        expect([channel_tag_generation(tag), channel_tag_state(tag)]).toEqual([generation, state]);
      }
      const handle = channel_handle(12345, generation);
      expect(handle).toBeGreaterThanOrEqual(0);
      expect(channel_handle_index(handle)).toBe(12345);
      expect(channel_handle_matches(handle, generation)).toBe(true);
      expect(channel_handle_matches(handle, generation + 1)).toBe(false);
    }
  });
});
