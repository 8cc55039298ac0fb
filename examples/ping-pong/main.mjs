// Local ping-pong on worker threads, with the node's statistics.
//
//   node examples/ping-pong/main.mjs
//
// A node of one socket with two cores: the pinger runs on core 0's worker thread, the ponger on
// core 1's, and every message between them travels through the L2 ring in shared memory.
import { NodeHost } from 'lattice-ipc';

const rounds = 10_000;
const host = await NodeHost.start({
  node: { sockets: 1, cores_per_socket: 2 },
  processes: [
    { pid: 1, core: 0, module: new URL('./processes.mjs', import.meta.url), entry: 'ping', args: { peer: 2, rounds } },
    { pid: 2, core: 1, module: new URL('./processes.mjs', import.meta.url), entry: 'pong', args: { rounds } },
  ],
});
try {
  const [ping, pong] = await host.join([1, 2]);
  if (!ping.ok) throw new Error(`ping failed: ${ping.error.message}`);
  if (!pong.ok) throw new Error(`pong failed: ${pong.error.message}`);
  console.log(`${ping.value.rounds} round trips, median ${ping.value.rtt_p50_us.toFixed(1)} µs`);
  const stats = host.stats();
  for (const core of stats.cores) {
    console.log(`core ${core.core}: sent ${JSON.stringify(core.sent)}, doorbells rung ${core.doorbells_rung}`);
  }
} finally {
  await host.close();
}
