// The simulated TCP's `end` is a half-close, as Node's `socket.end()` to a peer that does not
// allow half-open connections: what the ending side wrote still arrives, the peer's answer in
// flight still reaches it, both ends then close without an error, and a write after `end` fails.
import { describe, expect, it } from 'vitest';
import type { TransportEvents } from '../../net/transport.js';
import { LINK_FAULTS_NONE, SABOTAGE_NONE } from '../../sim/faults.js';
import { Prng } from '../../sim/prng.js';
import { Scheduler } from '../../sim/scheduler.js';
import { SimNetwork, sim_host } from '../../sim/sim_network.js';

function recorder() {
  const log: string[] = [];
  const events: TransportEvents = {
    on_datagram: () => {},
    on_open: (conn, inbound) => log.push(`open ${inbound ? 'in' : 'out'} ${conn}`),
    on_data: (conn, bytes) => log.push(`data ${conn} ${bytes.length}`),
    on_closed: (conn, error) => log.push(`closed ${conn} ${error}`),
  };
  return { log, events };
}

/** Nodes 1 and 2 on a simulated network with no faults, on one agenda. */
function two_nodes(seed: number) {
  const scheduler = new Scheduler({ lookahead_us: 0 });
  const network = new SimNetwork(scheduler, new Prng(seed), { ...LINK_FAULTS_NONE }, SABOTAGE_NONE);
  network.add_node(1, scheduler.global);
  network.add_node(2, scheduler.global);
  const a = network.transport(1, { alive: true, epoch: 1 });
  const b = network.transport(2, { alive: true, epoch: 1 });
  return { scheduler, a, b };
}

describe('simulated TCP end()', () => {
  it("delivers what the ending side wrote and the peer's answer to it, then closes both ends cleanly", async () => {
    const { scheduler, a, b } = two_nodes(1);
    const at_a = recorder();
    const at_b = recorder();
    const results: string[] = [];
    // B answers every read with 32 bytes on the same connection.
    const b_events: TransportEvents = {
      ...at_b.events,
      on_data: (conn, bytes) => {
        at_b.events.on_data(conn, bytes);
        b.write(conn, new Uint8Array(32), (error) => results.push(`b wrote: ${error}`));
      },
    };
    await a.bind(sim_host(1), 0, at_a.events);
    await b.bind(sim_host(2), 0, b_events);
    const conn = a.connect(b.address);
    await scheduler.run_until(5_000);
    expect(at_a.log).toEqual([`open out ${conn}`]);
    a.write(conn, new Uint8Array(16), (error) => results.push(`a wrote: ${error}`));
    a.end(conn); // Before its write has even arrived.
    a.write(conn, new Uint8Array(16), (error) => results.push(`a wrote after end: ${error}`));
    await scheduler.run_until(20_000);
    const inbound = Number(at_b.log[0]!.split(' ')[2]);
    expect(at_b.log).toEqual([`open in ${inbound}`, `data ${inbound} 16`, `closed ${inbound} null`]);
    expect(at_a.log).toEqual([`open out ${conn}`, `data ${conn} 32`, `closed ${conn} null`]);
    expect(results).toEqual(['a wrote after end: EPIPE', 'a wrote: null', 'b wrote: null']);
  });

  it('both ends close without an error when one ends an idle connection; a write after that fails with EPIPE', async () => {
    const { scheduler, a, b } = two_nodes(2);
    const at_a = recorder();
    const at_b = recorder();
    await a.bind(sim_host(1), 0, at_a.events);
    await b.bind(sim_host(2), 0, at_b.events);
    const conn = a.connect(b.address);
    await scheduler.run_until(5_000);
    a.end(conn);
    await scheduler.run_until(50_000);
    const inbound = Number(at_b.log[0]!.split(' ')[2]);
    expect(at_b.log).toEqual([`open in ${inbound}`, `closed ${inbound} null`]);
    const late: string[] = [];
    b.write(inbound, new Uint8Array(8), (error) => late.push(String(error)));
    await scheduler.run_until(60_000);
    expect(late).toEqual(['EPIPE']);
    expect(at_a.log).toEqual([`open out ${conn}`, `closed ${conn} null`]);
  });
});
