// Records in the simulator (net/secure/record.ts): a record is sealed at the end of its turn,
// with no timer, so a lone message goes on the wire at the virtual instant its network server
// took it; a burst goes out in few records (packed datagrams on UDP), and when the network loses
// one, every message inside it is counted lost, message by message, the accounting exact.
import { describe, expect, it } from 'vitest';
import { run, scenario } from './sim_helpers.js';

const TAKEN = "taken by its sender's network server";
const ON_WIRE = 'on the wire';

/** A remote ping-pong (one message in flight at a time) on a sealed network of `proto`. */
function lone_pings(proto: 'tcp' | 'udp') {
  return scenario({
    network: { proto, secure: true },
    workloads: [
      {
        kind: 'ping_pong',
        client: { node: 1, core: 0, pid: 10 },
        server: { node: 2, core: 1, pid: 10 },
        rounds: 200,
        payload_bytes: 48,
      },
    ],
  });
}

describe('records in the simulator', () => {
  for (const proto of ['tcp', 'udp'] as const) {
    it(`seal a lone message at once: on the wire at the virtual instant it was taken (${proto})`, async () => {
      const { result } = await run(lone_pings(proto), 1);
      expect(result.violation).toBeNull();
      // The first messages waited for the handshake; every one after it left when it was taken.
      const remote = result.followed.filter((m) => m.path[0]?.what === TAKEN && m.path[1]?.what === ON_WIRE);
      const after_handshake = remote.slice(4);
      expect(after_handshake.length).toBeGreaterThan(200);
      for (const m of after_handshake) expect(m.path[1]!.at_ms, `message ${m.id}`).toBe(m.path[0]!.at_ms);
      // One message per record: nothing else was sent in its turn.
      expect(result.secure!.sealed_records).toBeGreaterThanOrEqual(result.secure!.sealed_packets);
    });
  }

  it('pack a burst into few datagrams, and a datagram lost on the way loses each message in it, counted', async () => {
    const burst = scenario({
      network: { proto: 'udp', secure: true },
      workloads: [
        {
          kind: 'fan_in',
          receiver: { node: 2, core: 1, pid: 10 },
          senders: [{ node: 1, core: 0, pid: 11 }],
          messages_per_sender: 2000,
          payload_bytes: 48,
          interval_us: 0,
        },
      ],
      faults: { link: { loss: 0.05 } },
    });
    const { result } = await run(burst, 1);
    expect(result.violation).toBeNull();
    const secure = result.secure!;
    // Messages sent in one turn to one pair of pids share a record, up to the datagram's size.
    expect(secure.sealed_records * 3).toBeLessThan(secure.sealed_packets);
    const a = result.accounting;
    expect(a.sent).toBe(a.delivered + a.dropped_total + a.lost_in_crash + a.in_flight_total);
    expect(a.in_flight_total).toBe(0);
    // Each lost datagram held several messages, and each of them is named under the loss.
    const datagrams_lost = result.network.dropped_data.loss ?? 0;
    expect(datagrams_lost).toBeGreaterThan(0);
    expect(a.dropped['network.loss']).toBeGreaterThan(2 * datagrams_lost);
    expect(a.delivered + a.dropped_total).toBe(a.sent);
  });
});
