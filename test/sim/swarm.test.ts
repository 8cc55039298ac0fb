// Sharding a swarm: the K slices of a swarm's seeds are disjoint and together are all of them.
import { describe, expect, it } from 'vitest';
import { shard_seeds } from '../../sim/swarm.js';

describe('shard_seeds', () => {
  it('splits every swarm into disjoint slices whose union is the swarm, sizes within one', () => {
    for (let count = 0; count <= 23; count++) {
      for (let shards = 1; shards <= 7; shards++) {
        const slices = Array.from({ length: shards }, (_, i) => shard_seeds(100, count, i + 1, shards));
        const all = slices.flat().sort((x, y) => x - y);
        expect(all).toEqual(Array.from({ length: count }, (_, i) => 100 + i));
        const sizes = slices.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
});
