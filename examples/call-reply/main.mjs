// A MINIX-style server: clients `call` it and block until it `reply`s.
//
//   node examples/call-reply/main.mjs
//
// The server (pid 10, core 0) answers ADD requests; two clients (pids 20 and 21, cores 1 and 2)
// each make 1,000 calls. A call carries a one-shot reply capability (`request.cap`), so only the
// server that received the call can answer it, and only once.
import { NodeHost } from 'lattice-ipc';

const calls = 1000;
const module = new URL('./processes.mjs', import.meta.url);
const host = await NodeHost.start({
  node: { sockets: 1, cores_per_socket: 4 },
  processes: [
    { pid: 10, core: 0, module, entry: 'server', args: { calls: 2 * calls } },
    { pid: 20, core: 1, module, entry: 'client', args: { server: 10, calls } },
    { pid: 21, core: 2, module, entry: 'client', args: { server: 10, calls } },
  ],
});
try {
  for (const result of await host.join([10, 20, 21])) {
    if (!result.ok) throw new Error(`pid ${result.pid} failed: ${result.error.message}`);
    console.log(`pid ${result.pid}: ${JSON.stringify(result.value)}`);
  }
} finally {
  await host.close();
}
