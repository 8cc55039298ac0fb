/**
 * Graph benchmark: `add_dep` on a 100k-channel graph.
 *
 * 100,000 channels and 200,000 dependency edges (two per channel) in a hidden order: a chain
 * through every channel plus edges to ranks at most 8 ahead, a braid of long dependency chains
 * (as pipelines are), so reachability runs deep. They are inserted in random order, with about
 * 20,000 cycle probes (reversed edges, all refused) among them. Two cases: channels created in
 * roughly the dependency order (as systems are built: the headline), and created in an order
 * unrelated to it, where the incremental topological order keeps having to repair itself. Baseline: the naive method the issue rules out, a full depth-first search from
 * the child per edge, on the same edge sequence, stopped after a time budget (it is quadratic).
 */
import { real_env } from '../../kernel/env.js';
import { Fastpath } from '../../kernel/fastpath.js';
import { Kernel } from '../../kernel/kernel.js';
import { NodeMemory } from '../../kernel/node_memory.js';
import { Status } from '../../kernel/status.js';
import type { BenchResult } from '../report.js';

const CHANNELS = 100_000;
const EDGES = 200_000;
const NAIVE_BUDGET_MS = 3_000;

/** A small deterministic PRNG (xorshift32), so every run inserts the same edges. */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/**
 * Edges as [parent, child] channel numbers (0..channels-1), in insertion order.
 *
 * A hidden rank orders the channels; edges join a rank to the next (an unbroken chain, so
 * reachability runs to the end) and to ranks up to 8 further (a braid), two per channel in all,
 * inserted in random order. After one edge in ten comes a cycle probe: the reverse of an edge
 * already inserted, which must be refused. With `creation_order_known`, channel i has a rank within 16 of i (channels
 * created roughly in pipeline order, as systems are built); otherwise ranks are a random
 * permutation of creation order (the adversarial case for an incremental order).
 */
function make_edges(count: number, channels: number, creation_order_known: boolean): [number, number][] {
  const random = prng(0x5eed);
  const by_rank = new Int32Array(channels);
  for (let i = 0; i < channels; i++) by_rank[i] = i;
  const window = creation_order_known ? 16 : channels;
  for (let start = 0; start < channels; start += window) {
    const end = Math.min(channels, start + window);
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [by_rank[i], by_rank[j]] = [by_rank[j]!, by_rank[i]!];
    }
  }
  const edges: [number, number][] = [];
  for (let r = 0; r + 1 < channels && edges.length < count; r++) edges.push([by_rank[r]!, by_rank[r + 1]!]);
  while (edges.length < count) {
    const r = Math.floor(random() * (channels - 1));
    const s = Math.min(channels - 1, r + 1 + Math.floor(random() * 8));
    edges.push([by_rank[r]!, by_rank[s]!]);
  }
  for (let i = edges.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [edges[i], edges[j]] = [edges[j]!, edges[i]!];
  }
  // Interleave cycle probes: after one edge in ten, the reverse of an edge already inserted.
  const probed: [number, number][] = [];
  for (let i = 0; i < edges.length; i++) {
    probed.push(edges[i]!);
    if (random() < 0.1) {
      const [p, c] = edges[Math.floor(random() * (i + 1))]!;
      probed.push([c, p]);
    }
  }
  return probed;
}

/** The naive method: refuse (p, c) if a depth-first search from c reaches p. */
function naive(edges: readonly [number, number][], channels: number, budget_ms: number): { done: number; ms: number } {
  const out: number[][] = Array.from({ length: channels }, () => []);
  const seen = new Int32Array(channels);
  let epoch = 0;
  const stack: number[] = [];
  const start = performance.now();
  let done = 0;
  for (const [p, c] of edges) {
    epoch++;
    stack.length = 0;
    stack.push(c);
    seen[c] = epoch;
    let cycle = p === c;
    while (!cycle && stack.length > 0) {
      const w = stack.pop()!;
      for (const z of out[w]!) {
        if (z === p) {
          cycle = true;
          break;
        }
        if (seen[z] !== epoch) {
          seen[z] = epoch;
          stack.push(z);
        }
      }
    }
    if (!cycle) out[p]!.push(c);
    done++;
    if ((done & 63) === 0 && performance.now() - start > budget_ms) break;
  }
  return { done, ms: performance.now() - start };
}

export async function graph_bench(
  options: { quick?: boolean; log?: (line: string) => void } = {},
): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const channels = options.quick === true ? 5_000 : CHANNELS;
  const edge_count = options.quick === true ? 5_000 : EDGES;
  log(`graph: add_dep on ${channels} channels, ${edge_count} edges`);
  /** A fresh node with `channels` channels (src in [0, 1000), dst above 1000); their handles. */
  const fresh = () => {
    const fanout = Math.ceil(channels / 1000);
    const memory = NodeMemory.create({
      sockets: 1,
      cores_per_socket: 1,
      pids_max: 1000 + fanout,
      channels_max: 1 << Math.ceil(Math.log2(channels * 1.3)),
      edges_max: edge_count * 2,
      caps_per_pid: 1,
      slab_classes: [{ block_bytes: 128, block_count: 16 }],
    });
    const kernel = new Kernel(Fastpath.attach_core(memory, 0, real_env(0)));
    const handles = new Int32Array(channels);
    for (let i = 0; i < channels; i++) {
      const src = i % 1000;
      const dst = 1000 + Math.floor(i / 1000);
      if (kernel.fastpath.channel_of(0, 0, src, dst) < 0) throw new Error('channel table full');
      handles[i] = kernel.find(src, dst);
    }
    return { kernel, handles };
  };
  /** Adds `edges` on a fresh node; edges per second and how many were refused as cycles. */
  const insert = (edges: readonly [number, number][]) => {
    const { kernel, handles } = fresh();
    try {
      let refused = 0;
      const start = performance.now();
      for (const [p, c] of edges) {
        const status = kernel.add_dep(handles[p]!, handles[c]!);
        if (status === Status.CYCLE) refused++;
        else if (status !== Status.OK) throw new Error(`add_dep: status ${status}`);
      }
      const ms = performance.now() - start;
      if (kernel.graph.check().length > 0) throw new Error('graph invariants broken');
      return { rate: edges.length / (ms / 1000), refused, ms };
    } finally {
      kernel.fastpath.detach();
    }
  };
  const budget = options.quick === true ? 500 : NAIVE_BUDGET_MS;
  const run = (creation_order_known: boolean) => {
    const edges = make_edges(edge_count, channels, creation_order_known);
    const lattice = insert(edges);
    const baseline = naive(edges, channels, budget);
    log(
      `graph: ${edges.length - lattice.refused} edges accepted, ${lattice.refused} refused as cycles; naive did ${baseline.done} in ${baseline.ms.toFixed(0)} ms`,
    );
    return {
      rate: lattice.rate,
      naive_rate: baseline.done / (baseline.ms / 1000),
      refused: lattice.refused,
      naive_done: baseline.done,
      count: edges.length,
    };
  };
  const pipeline = run(true);
  const adversarial = run(false);
  // A chain whose channels were created in reverse and whose edges arrive back to front:
  // quadratic for a search per edge, and for any method that starts from creation order.
  const chain: [number, number][] = [];
  for (let i = channels - 2; i >= 0; i--) chain.push([channels - 1 - i, channels - 2 - i]);
  const chained = insert(chain);
  const chain_naive = naive(chain, channels, budget);
  log(
    `graph: reverse chain of ${channels} in ${chained.ms.toFixed(0)} ms; naive did ${chain_naive.done} in ${chain_naive.ms.toFixed(0)} ms`,
  );
  return [
    {
      name: 'graph.add_dep_100k',
      unit: 'edges/s',
      better: 'higher',
      lattice: pipeline.rate,
      baselines: { naive_dfs: pipeline.naive_rate },
      note: `${channels} channels created in pipeline order; ${pipeline.count} add_dep in random order, ${pipeline.refused} refused as cycles (naive: ${pipeline.naive_done} in its budget)`,
    },
    {
      name: 'graph.add_dep_100k_adversarial',
      unit: 'edges/s',
      better: 'higher',
      lattice: adversarial.rate,
      baselines: { naive_dfs: adversarial.naive_rate },
      note: `same, channels created in an order unrelated to the dependencies (${adversarial.refused} refused; naive: ${adversarial.naive_done} in its budget)`,
    },
    {
      name: 'graph.add_dep_100k_reverse_chain',
      unit: 'edges/s',
      better: 'higher',
      lattice: chained.rate,
      baselines: { naive_dfs: chain_naive.done / (chain_naive.ms / 1000) },
      note: `one chain through ${channels} channels created in reverse, edges added back to front (naive: ${chain_naive.done} in its budget)`,
    },
  ];
}
