/**
 * Swarm testing (as TigerBeetle's VOPR does): many seeds, each with its own random mix of faults
 * on top of a scenario, every one checked by the same invariants. A seed's mix is a function of
 * the seed alone, so `lattice sim SCENARIO --seed S --mix` replays a failing swarm run exactly.
 */
import type { LinkFaults, ScheduledFault } from './faults.js';
import { Prng } from './prng.js';
import type { Scenario } from './scenario.js';

/** The scenario with seed `seed`'s random fault mix added (link faults, partitions, crashes, skew). */
export function swarm_scenario(base: Scenario, seed: number): Scenario {
  const prng = new Prng(seed, 'swarm-mix');
  const maybe = (p: number, hi: number) => (prng.chance(p) ? prng.float() * hi : 0);
  const link: LinkFaults = {
    ...base.faults.link,
    loss: Math.max(base.faults.link.loss, maybe(0.5, 0.05)),
    duplicate: Math.max(base.faults.link.duplicate, maybe(0.4, 0.05)),
    reorder: Math.max(base.faults.link.reorder, maybe(0.4, 0.2)),
    corrupt: Math.max(base.faults.link.corrupt, maybe(0.3, 0.02)),
    delay: prng.chance(0.5)
      ? { distribution: 'exponential', min_ms: 0.02, mean_ms: 0.05 + prng.float() * 0.5, max_ms: 5 }
      : base.faults.link.delay,
  };
  const schedule: ScheduledFault[] = [...base.faults.schedule];
  const ids = base.nodes.map((n) => n.id);
  const d = base.duration_ms;
  if (ids.length > 1 && prng.chance(0.4)) {
    const cut = 1 + prng.int(ids.length - 1);
    const at = prng.float() * d * 0.7;
    schedule.push({ kind: 'partition', at_ms: at, groups: [ids.slice(0, cut), ids.slice(cut)] });
    schedule.push({ kind: 'heal', at_ms: at + prng.float() * d * 0.3 });
  }
  if (prng.chance(0.3)) {
    const node = prng.pick(ids);
    schedule.push({
      kind: 'crash',
      at_ms: prng.float() * d * 0.8,
      node,
      restart_after_ms: prng.float() * d * 0.2,
      memory: prng.chance(0.5) ? 'kept' : 'lost',
    });
  }
  const clock_skew = prng.chance(0.3)
    ? { offset_ms_max: prng.float() * 1000, drift_ppm_max: prng.float() * 500 }
    : base.faults.clock_skew;
  return { ...base, faults: { ...base.faults, link, schedule, clock_skew } };
}

/**
 * The seeds of shard `shard` (1-based) of `shards` over the swarm `first … first + count - 1`:
 * every `shards`-th seed from the shard's own offset, so the shards are disjoint, their union is
 * the whole swarm, and their sizes differ by at most one (a job runner's index I of K).
 */
export function shard_seeds(first: number, count: number, shard: number, shards: number): number[] {
  const seeds: number[] = [];
  for (let i = shard - 1; i < count; i += shards) seeds.push(first + i);
  return seeds;
}
