// The network driver between separate OS processes: 10,000 messages each way over UDP and over
// TCP (nothing lost on TCP), and a TCP peer killed and restarted on the same port mid-stream,
// where the failed write is retried once on the reopened connection and every counter is exact.
import { afterEach, describe, expect, it } from 'vitest';
import type { NetDriver } from '../../net/driver.js';
import { create_net_driver } from '../../host/net/node_net.js';
import { until } from '../wait.js';
import { PeerProcess } from './peer_process.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function driver(config = {}): Promise<NetDriver> {
  const d = create_net_driver({ interfaces: {}, hostname: 'test' });
  await d.init({ node_id: 1, max_queue: 1 << 16, ...config });
  cleanup.push(() => d.shutdown());
  return d;
}

function peer(args: string[]): PeerProcess {
  const p = new PeerProcess(args);
  cleanup.push(() => p.kill());
  return p;
}

/**
 * Waits until `done()` holds, or `limit_ms` has passed (a bound for traffic that may be lost, not a
 * synchronisation: it ends as soon as the condition holds).
 */
async function within(limit_ms: number, done: () => boolean): Promise<void> {
  const deadline = performance.now() + limit_ms;
  while (!done() && performance.now() < deadline) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('two OS processes', () => {
  for (const proto of ['tcp', 'udp'] as const) {
    it(`exchange 10,000 messages over ${proto} (echoed back)`, async () => {
      const a = await driver();
      const b = peer(['echo', '0', '2', String(a.port), proto]);
      const { port } = (await b.next('ready')) as { port: number };
      a.add_remote(2, '127.0.0.1', port, proto);
      const seen = new Uint8Array(10_000);
      let received = 0;
      a.set_recv_callback(() => {
        for (let p = a.recv(); p !== null; p = a.recv()) {
          const index = p.payload[0]! | (p.payload[1]! << 8);
          if (p.src_node === 2 && seen[index] === 0) {
            seen[index] = 1;
            received++;
          }
        }
      });
      // Windows of 250 messages, so that a UDP burst never overruns a socket buffer.
      for (let window = 0; window < 40; window++) {
        for (let i = window * 250; i < (window + 1) * 250; i++) {
          expect(a.send_nowait(2, Uint8Array.of(i & 0xff, i >> 8, 0xab))).toBe('success');
        }
        if (proto === 'tcp') await until(() => received === (window + 1) * 250, `window ${window}`);
        else await within(2000, () => received === (window + 1) * 250); // UDP may lose: bounded wait.
      }
      if (proto === 'tcp')
        expect(received).toBe(10_000); // Nothing lost on TCP.
      else expect(received).toBeGreaterThanOrEqual(9_900); // Loopback UDP: a loss is possible, not likely.
      b.send('report');
      const report = (await b.next('echoed')) as { echoed: number; stats: { packets_received: number } };
      expect(report.stats.packets_received).toBe(proto === 'tcp' ? 10_000 : report.stats.packets_received);
      expect(a.stats().packets_sent).toBe(10_000);
    });
  }
});

describe('a TCP peer killed and restarted on the same port', () => {
  it('reopens the connection and retries the failed write once; nothing is lost, counters exact', async () => {
    const a = await driver({
      pending_bytes_max: 128 << 20,
      frame_bytes_max: 1 << 21,
      reconnect_attempts_max: 1000,
      reconnect_delay_ms_min: 5,
      reconnect_delay_ms_max: 50,
    });
    const first = peer(['pause', '0']);
    const { port } = (await first.next('ready')) as { port: number };
    a.add_remote(2, '127.0.0.1', port, 'tcp');
    expect(await a.send(2, Uint8Array.of(0))).toBe('success');
    await first.next('paused'); // It read frame 0 and stopped reading.
    // 64 frames of 1 MiB, queued in one turn: one write, more than both kernels' socket buffers
    // can hold (this machine lets a loopback receiver grow to 32 MB, the sender to 4 MB), so the
    // write is still in flight when the peer dies. (A write that completed into a peer's buffer
    // before it crashed is lost with the peer: TCP cannot tell; docs/WIRE.md.)
    const frames = 64;
    const outcomes: Promise<string>[] = [];
    for (let i = 1; i <= frames; i++) {
      const payload = new Uint8Array(1 << 20);
      payload[0] = i;
      outcomes.push(a.send(2, payload));
    }
    await until(() => a.pending_bytes(2) === 0, 'the batch handed to the socket');
    await first.kill(); // Unread data in its buffer: the kernel resets the connection.
    await until(() => a.peer_state(2) !== 'open', 'the driver saw the connection fail');
    const second = peer(['count', String(port)]); // The same port.
    await second.next('ready');
    expect(await Promise.all(outcomes)).toEqual(Array(frames).fill('success'));
    const arrived: number[] = [];
    for (let i = 0; i < frames; i++) arrived.push(((await second.next('frame')) as { first: number }).first);
    expect(arrived).toEqual(Array.from({ length: frames }, (_, i) => i + 1)); // All, in order.
    const stats = a.stats();
    expect(stats.reconnects).toBe(1);
    expect(stats.retries).toBe(frames); // The failed write's frames, each retried exactly once.
    expect(stats.send_errors).toEqual({});
    expect(stats.tcp_sent).toBe(1 + frames);
  });
});
