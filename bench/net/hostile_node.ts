/**
 * The attacked node of `net.hostile_conns_rss_MiB` (hostile_conns.ts), in a process of its own so
 * its RSS is its own: a driver on a free port that drains what it receives. Lines on stdin:
 * `rss` answers `{"rss": bytes after a GC, "received": packets so far, "partial_frame_bytes"}`;
 * `exit` stops it.
 */
import { createInterface } from 'node:readline';
import { create_net_driver } from '../../host/net/node_net.js';

const node = create_net_driver({ interfaces: {}, hostname: 'bench-node' });
// Room for every hostile connection: the figure is what they cost while held.
await node.init({ node_id: 1, tcp_connections_max: 1 << 16, tcp_connections_per_address_max: 1 << 16 });
let received = 0;
node.set_recv_callback(() => {
  node.recv();
  received++;
});
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
say({ port: node.port });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'rss') {
    (globalThis as { gc?: () => void }).gc?.();
    say({ rss: process.memoryUsage().rss, received, partial_frame_bytes: node.stats().partial_frame_bytes });
  } else if (line === 'exit') {
    break;
  }
}
await node.shutdown();
