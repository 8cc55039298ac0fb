/**
 * API benchmark: what the capability
 * checked kernel API costs over the raw fastpath, and `call` round trips against a MessagePort
 * request/response, between the same two worker threads in one run.
 *
 * - api.oneway_64B: 64-byte messages, `Kernel.send` (capability validation) and `Kernel.recv`
 *   (listen check, notifications first) against `Fastpath.send` / `Fastpath.recv`, interleaved.
 * - api.send_recv_cost_ns: the same pair of calls in one thread, so no cache line moves: the
 *   pure instruction cost of the API against the raw ring.
 * - api.call_rtt_p50_us / p99: `Kernel.call` against a server doing `recv` + `reply`, against a
 *   MessagePort ping answered from its message handler.
 */
import { real_env } from '../../kernel/env.js';
import { Fastpath, IpcFlags } from '../../kernel/fastpath.js';
import { Kernel } from '../../kernel/kernel.js';
import { Message } from '../../kernel/message.js';
import { NodeMemory } from '../../kernel/node_memory.js';
import { Status } from '../../kernel/status.js';
import { median, type BenchResult } from '../report.js';
import { compare, compare_rtt, start_agents, type BenchOptions } from '../kernel/agents.js';

/** ns per send+recv pair in one thread, through the API and through the raw fastpath. */
function single_thread_cost(pairs: number): { api: number; raw: number } {
  const memory = NodeMemory.create();
  memory.bind(1, 0);
  memory.bind(2, 1);
  const sender = new Kernel(Fastpath.attach_core(memory, 0, real_env(0)));
  const receiver = new Kernel(Fastpath.attach_core(memory, 1, real_env(0)));
  try {
    receiver.listen(2);
    const cap = sender.connect(1, 2);
    const m = new Message();
    m.length = 64;
    const r = new Message();
    const api = () => {
      const start = performance.now();
      for (let i = 0; i < pairs; i++) {
        if (sender.send(1, cap, m) !== Status.OK) throw new Error('api send');
        if (receiver.recv(2, r, IpcFlags.NONBLOCK) !== Status.OK) throw new Error('api recv');
      }
      return ((performance.now() - start) * 1e6) / pairs;
    };
    const raw = () => {
      const start = performance.now();
      for (let i = 0; i < pairs; i++) {
        if (sender.fastpath.send(1, 2, m) !== Status.OK) throw new Error('raw send');
        if (receiver.fastpath.recv(2, r, IpcFlags.NONBLOCK) !== Status.OK) throw new Error('raw recv');
      }
      return ((performance.now() - start) * 1e6) / pairs;
    };
    api();
    raw(); // Warm both up.
    const api_ns: number[] = [];
    const raw_ns: number[] = [];
    for (let round = 0; round < 5; round++) {
      api_ns.push(api());
      raw_ns.push(raw());
    }
    return { api: median(api_ns), raw: median(raw_ns) };
  } finally {
    sender.fastpath.detach();
    receiver.fastpath.detach();
  }
}

export async function api_bench(options: BenchOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const scale = options.quick === true ? 0.02 : 1;
  const count = (n: number) => Math.max(100, Math.round(n * scale));
  log('api: single-thread cost of send+recv');
  const cost = single_thread_cost(count(2_000_000));
  const agents = start_agents();
  try {
    log('api: 64-byte messages between two workers, API vs raw ring');
    // Seven rounds: on this VM the ratio of two cross-thread throughputs swings by +-20% between
    // runs of three (docs/PERFORMANCE.md); the single-thread cost above is the stable figure.
    const one = await compare(agents, 7, {
      raw_ring: { phase: 'lattice_oneway', n: count(3_000_000) },
      api: { phase: 'api_oneway', n: count(3_000_000) },
    });
    log('api: call round trips');
    const rtt = await compare_rtt(agents, 3, {
      MessagePort: { phase: 'mp_rtt', n: count(20_000) },
      call: { phase: 'api_call', n: count(50_000) },
    });
    return [
      {
        name: 'api.oneway_64B',
        unit: 'msg/s',
        better: 'higher',
        lattice: one.api!,
        baselines: { raw_ring: one.raw_ring! },
        note: 'Kernel.send (capability) + Kernel.recv (listen) vs Fastpath, two workers (L2)',
      },
      {
        name: 'api.send_recv_cost_ns',
        unit: 'ns',
        better: 'lower',
        lattice: cost.api,
        baselines: { raw_ring: cost.raw },
        note: 'one send + one recv in one thread (instruction cost only)',
      },
      {
        name: 'api.call_rtt_p50_us',
        unit: 'µs',
        better: 'lower',
        lattice: rtt.p50.call!,
        baselines: { MessagePort: rtt.p50.MessagePort! },
        note: 'Kernel.call vs recv + reply, two workers; MessagePort request/response',
      },
      {
        name: 'api.call_rtt_p99_us',
        unit: 'µs',
        better: 'lower',
        lattice: rtt.p99.call!,
        baselines: { MessagePort: rtt.p99.MessagePort! },
      },
    ];
  } finally {
    await agents.close();
  }
}
