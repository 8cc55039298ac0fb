/**
 * `net.hostile_conns_rss_MiB`: what unauthenticated TCP connections cost a node. A node runs in
 * a process of its own (hostile_node.ts), so its RSS is its own. Each of `connections`
 * connections to it sends one 16-byte DATA header that claims a 1 MiB payload, and one byte of
 * it, then stays open. The figure is the growth of the node's RSS (after a GC) over the worse of
 * two rounds (a first round can hide the cost: untouched pages of a fresh allocation are not
 * resident; a second reuses memory that must be zeroed). Meanwhile another driver sends `pings`
 * frames to the node over its own TCP connection; every one must arrive
 * (`net.hostile_conns_pings_lost`).
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { create_net_driver } from '../../host/net/node_net.js';
import { write_header } from '../../net/frame.js';
import { FrameType } from '../../net/wire_layout.js';
import type { BenchResult } from '../report.js';

const MiB = 2 ** 20;

export async function hostile_conns_bench(connections: number, pings: number): Promise<BenchResult[]> {
  const script = fileURLToPath(new URL('./hostile_node.ts', import.meta.url));
  // tsx by its own URL: the bench may run from any directory.
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--expose-gc', '--import', tsx, script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin!.on('error', () => {}); // A node that died says so through `next`, not as an EPIPE here.
  child.on('error', () => {}); // Likewise a spawn that failed.
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number>> => {
    const line = await lines.next();
    if (line.done === true) throw new Error('the bench node exited');
    return JSON.parse(line.value) as Record<string, number>;
  };
  const ask = async (): Promise<{ rss: number; received: number; partial: number }> => {
    child.stdin!.write('rss\n');
    const answer = await next();
    return { rss: answer.rss!, received: answer.received!, partial: answer.partial_frame_bytes! };
  };
  const pinger = create_net_driver({ interfaces: {}, hostname: 'bench-pinger' });
  try {
    const { port } = await next();
    await pinger.init({ node_id: 2 });
    pinger.add_remote(1, '127.0.0.1', port!, 'tcp');
    const header = new Uint8Array(17);
    write_header(header, 0, FrameType.DATA, 7, MiB);
    let worst = 0;
    let received = 0;
    for (let round = 0; round < 2; round++) {
      const before = (await ask()).rss;
      const sockets: Socket[] = [];
      for (let i = 0; i < connections; i++) {
        const s = connect(port!, '127.0.0.1');
        await new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('error', reject);
        });
        await new Promise<void>((resolve) => s.write(header, () => resolve()));
        sockets.push(s);
      }
      if (round === 0) {
        for (let i = 0; i < pings; i++) pinger.send_nowait(1, new Uint8Array(64));
        await pinger.close(); // Resolves once every ping was written.
      }
      // Asked until it holds every connection's partial frame and has every ping.
      let now = await ask();
      for (
        let i = 0;
        i < 1000 && (now.partial < connections * header.length || (round === 0 && now.received < pings));
        i++
      )
        now = await ask();
      if (now.partial < connections * header.length)
        throw new Error(`the node holds ${now.partial} bytes of the ${connections} connections' headers`);
      if (round === 0) received = now.received;
      worst = Math.max(worst, (now.rss - before) / MiB);
      for (const s of sockets) s.destroy();
    }
    return [
      {
        name: 'net.hostile_conns_rss_MiB',
        unit: 'MiB',
        better: 'lower',
        lattice: worst,
        baselines: {},
        note: `${connections} connections each holding a header that claims 1 MiB: the node's RSS growth, the worse of two rounds (target < 64)`,
      },
      {
        name: 'net.hostile_conns_pings_lost',
        unit: 'count',
        better: 'lower',
        lattice: pings - received,
        baselines: {},
        note: `of ${pings} frames another node sent over TCP while the hostile connections were open`,
      },
    ];
  } finally {
    await pinger.shutdown();
    if (child.exitCode === null) child.stdin!.end('exit\n');
    await exited;
  }
}
