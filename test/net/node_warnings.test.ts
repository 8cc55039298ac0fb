// The warnings of a running `lattice node` (host/cli/node_warnings.ts), event by event on a
// manual clock: handshakes failing in a row (and reset by a completed one), a peer failing for
// long enough to be unreachable, a drop reason rising past its rate, and the rate limit on each.
import { describe, expect, it } from 'vitest';
import { NodeWarnings } from '../../host/cli/node_warnings.js';

function warnings(limits = {}) {
  const clock = { now: 0 };
  return { clock, w: new NodeWarnings(() => clock.now, limits) };
}

const failed = (node: number, reason: string) => ({ kind: 'handshake_failed' as const, node, reason });

describe('node warnings', () => {
  it("warn when a peer's handshakes fail three times in a row, with the reason and its likely cause", () => {
    const { w } = warnings();
    expect(w.on_secure_event(failed(3, 'bad_signature'))).toBeNull();
    expect(w.on_secure_event(failed(3, 'bad_signature'))).toBeNull();
    expect(w.on_secure_event(failed(4, 'timeout'))).toBeNull(); // Another peer's count.
    const third = w.on_secure_event(failed(3, 'bad_signature'));
    expect(third).toMatchObject({ kind: 'handshake_failing', node: 3, reason: 'bad_signature', failures: 3 });
    expect(third!.message).toMatch(/not the key pinned/);
    // A completed handshake starts the count again.
    w.on_secure_event({ kind: 'handshake_completed', node: 3, initiator: true });
    expect(w.on_secure_event(failed(3, 'timeout'))).toBeNull();
  });

  it('give the same warning at most once per warn_interval_ms, and count what it held back', () => {
    const { clock, w } = warnings({ handshake_failures_warn: 1, warn_interval_ms: 1000 });
    expect(w.on_secure_event(failed(3, 'timeout'))).not.toBeNull();
    clock.now = 999;
    expect(w.on_secure_event(failed(3, 'timeout'))).toBeNull();
    expect(w.on_secure_event(failed(5, 'timeout'))).not.toBeNull(); // Another peer: its own limit.
    clock.now = 1000;
    expect(w.on_secure_event(failed(3, 'timeout'))?.message).toMatch(
      /3 handshakes failed in a row \(timeout: no answer/,
    );
    expect([w.given, w.suppressed]).toEqual([3, 1]);
  });

  it('say a peer is unreachable once its handshakes have failed for unreachable_warn_ms', () => {
    const { clock, w } = warnings({ unreachable_warn_ms: 5000 });
    clock.now = 100;
    w.on_secure_event(failed(7, 'timeout'));
    clock.now = 5099;
    expect(w.check({})).toEqual([]);
    clock.now = 5100;
    expect(w.check({})).toEqual([expect.objectContaining({ kind: 'peer_unreachable', node: 7, for_ms: 5000 })]);
    w.on_secure_event({ kind: 'handshake_completed', node: 7, initiator: false });
    clock.now = 60_000;
    expect(w.check({})).toEqual([]);
  });

  it('warn when drops of one reason rise by drops_warn_per_s between checks, not for the counts it starts with', () => {
    const { clock, w } = warnings({ drops_warn_per_s: 100 });
    expect(w.check({ secure: { auth_failed: 5000 } })).toEqual([]); // Taken as they are.
    clock.now = 2000;
    expect(w.check({ secure: { auth_failed: 5199 }, driver: {} })).toEqual([]); // 99.5 per second.
    clock.now = 3000;
    const rising = w.check({ secure: { auth_failed: 5299 }, driver: { bad_magic: 150 } });
    expect(rising).toEqual([
      expect.objectContaining({
        kind: 'drops_rising',
        layer: 'secure',
        reason: 'auth_failed',
        per_s: 100,
        total: 5299,
      }),
      expect.objectContaining({ kind: 'drops_rising', layer: 'driver', reason: 'bad_magic', per_s: 150 }),
    ]);
  });
});
