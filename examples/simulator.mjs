// A run of the deterministic simulator: the same seed gives the same trace digest on every host.
//
//   node examples/simulator.mjs [SEED]
//
// Two nodes over lossy UDP, a ping-pong pair between them and a call/reply server with two
// clients; 5% of datagrams are lost and 2% duplicated. The run checks its invariants
// (nothing lost silently, FIFO per channel, every call answered or failed) and reports.
import { Simulator, parse_scenario } from 'lattice-ipc/sim';

const seed = Number(process.argv[2] ?? 1);
const scenario = parse_scenario(
  JSON.stringify({
    name: 'example',
    duration_ms: 60,
    drain_ms: 200,
    network: { proto: 'udp' },
    nodes: [
      { id: 1, sockets: 1, cores_per_socket: 2 },
      { id: 2, sockets: 1, cores_per_socket: 2 },
    ],
    workloads: [
      {
        kind: 'ping_pong',
        client: { node: 1, core: 0, pid: 10 },
        server: { node: 2, core: 1, pid: 10 },
        rounds: 200,
        payload_bytes: 48,
      },
      {
        kind: 'call_reply',
        server: { node: 2, core: 0, pid: 20 },
        clients: [
          { node: 1, core: 1, pid: 21 },
          { node: 2, core: 1, pid: 22 },
        ],
        calls_per_client: 100,
        payload_bytes: 24,
      },
    ],
    faults: { link: { loss: 0.05, duplicate: 0.02 } },
  }),
  'example.json',
);
const result = await new Simulator(scenario, { seed }).run();
console.log(`seed ${result.seed}: ${result.ok ? 'every invariant held' : `VIOLATION ${result.violation.message}`}`);
console.log(
  `${result.virtual_ms} virtual ms, ${result.events} events, ${result.sent} sent, ${result.delivered} delivered`,
);
console.log(`drops ${JSON.stringify(result.drops)}`);
console.log(`trace digest ${result.trace_digest}`);
process.exitCode = result.ok ? 0 : 1;
