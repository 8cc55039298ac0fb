// The channel graph: cycles refused with a typed status and nothing changed, the levels of the
// incremental cycle detection kept valid, edges removed on close; and a property test against a
// reachability oracle.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Status } from '../../kernel/status.js';
import { type TestNode, test_node } from './kernel_helpers.js';

let node: TestNode | null = null;
afterEach(() => {
  node?.close();
  node = null;
});

/** A node with `n` channels i: pid 100+i → pid 1; returns their handles. */
function channels(n: number, config = {}): number[] {
  const bindings: Record<number, number> = { 1: 0 };
  for (let i = 0; i < n; i++) bindings[100 + i] = 0;
  node = test_node(
    {
      pids_max: 100 + n,
      channels_max: 64,
      caps_per_pid: 4,
      slab_classes: [{ block_bytes: 128, block_count: 64 }],
      ...config,
    },
    bindings,
  );
  const k = node.kernel(0);
  const handles: number[] = [];
  for (let i = 0; i < n; i++) {
    expect(k.connect(100 + i, 1)).toBeGreaterThan(0);
    handles.push(k.find(100 + i, 1));
  }
  return handles;
}

/** Both invariants of the graph: edges go upward in level; same-level lists are exact. */
function order_holds(): boolean {
  const problems = node!.kernel(0).graph.check();
  if (problems.length > 0) throw new Error(problems.join('; '));
  return true;
}

describe('add_dep', () => {
  it('refuses a self-dependency and every cycle, counting each', () => {
    const [a, b, c, d] = channels(4);
    const k = node!.kernel(0);
    expect(k.add_dep(a!, a!)).toBe(Status.CYCLE);
    expect(k.add_dep(a!, b!)).toBe(Status.OK);
    expect(k.add_dep(b!, a!)).toBe(Status.CYCLE);
    expect(k.add_dep(b!, c!)).toBe(Status.OK);
    expect(k.add_dep(c!, d!)).toBe(Status.OK);
    expect(k.add_dep(d!, a!)).toBe(Status.CYCLE);
    expect(k.add_dep(a!, b!)).toBe(Status.OK); // Already there: no change.
    expect(k.graph.edges_used()).toBe(3);
    expect(k.stats().cores[0]!.denied.cycle).toBe(3);
    expect(order_holds()).toBe(true);
  });

  it('raises levels when an edge arrives against them, and still finds the cycle later', () => {
    const [a, b, c] = channels(3);
    const k = node!.kernel(0);
    // All start at level 0: c -> a raises a, then b -> c raises c and a above b.
    expect(k.add_dep(c!, a!)).toBe(Status.OK);
    expect(k.add_dep(b!, c!)).toBe(Status.OK);
    expect(order_holds()).toBe(true);
    expect(k.add_dep(a!, b!)).toBe(Status.CYCLE); // b -> c -> a already.
  });

  it('refuses stale channel handles and a full edge pool', () => {
    const [a, b, c] = channels(3, { edges_max: 1 });
    const k = node!.kernel(0);
    expect(k.add_dep(a!, b!)).toBe(Status.OK);
    expect(k.add_dep(b!, c!)).toBe(Status.TABLE_FULL);
    expect(k.close(c!)).toBe(Status.OK);
    expect(k.add_dep(a!, c!)).toBe(Status.STALE_CHANNEL);
    expect(k.add_dep(12345, a!)).toBe(Status.NO_CHANNEL);
  });

  it("removes a closed channel's edges and frees them", () => {
    const [a, b, c] = channels(3, { edges_max: 2 });
    const k = node!.kernel(0);
    expect(k.add_dep(a!, b!)).toBe(Status.OK);
    expect(k.add_dep(b!, c!)).toBe(Status.OK);
    expect(k.close(b!)).toBe(Status.OK);
    expect(k.graph.edges_used()).toBe(0);
    expect(k.add_dep(a!, c!)).toBe(Status.OK);
    expect(k.remove_dep(a!, c!)).toBe(Status.OK);
    expect(k.graph.edges_used()).toBe(0);
  });
});

describe('the graph stays acyclic (property)', () => {
  it('accepts an edge exactly when no path leads back, and keeps a valid topological order', () => {
    const n = 12;
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), p: fc.nat(n - 1), c: fc.nat(n - 1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), p: fc.nat(n - 1), c: fc.nat(n - 1) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const handles = channels(n);
        const k = node!.kernel(0);
        const index = handles.map((h) => h & 0xfffff);
        const edges = new Set<string>();
        const reaches = (from: number, to: number): boolean => {
          const seen = new Set<number>([from]);
          const stack = [from];
          while (stack.length > 0) {
            const x = stack.pop()!;
            if (x === to) return true;
            for (const e of edges) {
              const [p, c] = e.split('>').map(Number) as [number, number];
              if (p === x && !seen.has(c)) {
                seen.add(c);
                stack.push(c);
              }
            }
          }
          return false;
        };
        for (const o of ops) {
          if (o.kind === 'add') {
            const cycle = reaches(o.c, o.p);
            const status = k.add_dep(handles[o.p]!, handles[o.c]!);
            expect(status).toBe(cycle ? Status.CYCLE : Status.OK);
            if (!cycle) edges.add(`${o.p}>${o.c}`);
          } else {
            expect(k.remove_dep(handles[o.p]!, handles[o.c]!)).toBe(Status.OK);
            edges.delete(`${o.p}>${o.c}`);
          }
          const stored = new Set(k.graph.edges().map(([p, c]) => `${index.indexOf(p)}>${index.indexOf(c)}`));
          expect(stored).toEqual(edges);
          expect(order_holds()).toBe(true);
        }
        node!.close();
        node = null;
      }),
      { numRuns: 150 },
    );
  });
});
