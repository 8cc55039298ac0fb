// The teaching labs pass their own checks as shipped (a student starts from a working lab).
import { describe, expect, it } from 'vitest';
import { run } from '../labs/01-first-lab/lab.js';

describe('lab 01: the name server', () => {
  it('passes all its checks', async () => {
    const lines: string[] = [];
    const checks = await run((line = '') => lines.push(line));
    expect(checks.length).toBeGreaterThanOrEqual(3);
    for (const check of checks) expect(check.ok, check.what).toBe(true);
    expect(lines.join('\n')).toMatch(/client a looked up beta\s+-> 2002/);
  });
});
