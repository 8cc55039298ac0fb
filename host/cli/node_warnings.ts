/**
 * Warnings of a running `lattice node` (host/cli/node_command.ts prints each as a JSON-line
 * `warning` event): what a person watching the node should know while it runs, rather than in
 * the counters printed when it closes.
 *
 * - `handshake_failing`: the handshakes with one pinned peer failed `handshake_failures_warn`
 *   times in a row (no session completed between), with the last reason and what it usually
 *   means: `timeout` (the peer is unreachable, or not answering), `bad_signature` (the peer is
 *   not the key pinned for it), `wrong_node`, `downgrade`/`old_version`, `rate_limited`.
 * - `peer_unreachable`: a pinned peer has had no session for `unreachable_warn_ms` since its
 *   handshakes started failing.
 * - `drops_rising`: one drop reason of one layer rose by `drops_warn_per_s` or more per second
 *   between two checks.
 *
 * Every warning is rate-limited: the same kind for the same peer (or layer and reason) at most
 * once per `warn_interval_ms`. Sans-IO: the clock is injected and `check` is called by its
 * owner (once a second), so tests drive it event by event.
 */
import type { SecureEvent } from '../../net/secure/secure_channel.js';

/** The thresholds, each with its unit. */
export interface WarningLimits {
  /** Handshakes with one peer failed in a row before `handshake_failing` (default 3). */
  readonly handshake_failures_warn: number;
  /** A peer with no session this long after its handshakes began to fail is `peer_unreachable` (default 10 000 ms). */
  readonly unreachable_warn_ms: number;
  /** Drops of one reason per second, between two checks, that make `drops_rising` (default 100). */
  readonly drops_warn_per_s: number;
  /** The same warning at most once per this (default 30 000 ms). */
  readonly warn_interval_ms: number;
}

export const WARNING_LIMITS_DEFAULT: WarningLimits = {
  handshake_failures_warn: 3,
  unreachable_warn_ms: 10_000,
  drops_warn_per_s: 100,
  warn_interval_ms: 30_000,
};

/** The names a config's `warnings` section takes. */
export const WARNING_LIMIT_NAMES = Object.keys(WARNING_LIMITS_DEFAULT) as (keyof WarningLimits)[];

/** One warning, as printed (with `event: 'warning'` and a human `message`). */
export type NodeWarning =
  | {
      readonly kind: 'handshake_failing';
      readonly node: number;
      readonly reason: string;
      readonly failures: number;
      readonly message: string;
    }
  | { readonly kind: 'peer_unreachable'; readonly node: number; readonly for_ms: number; readonly message: string }
  | {
      readonly kind: 'drops_rising';
      readonly layer: string;
      readonly reason: string;
      readonly per_s: number;
      readonly total: number;
      readonly message: string;
    };

/** What a handshake failure's reason usually means, for the human message. */
const CAUSES: Record<string, string> = {
  timeout: 'no answer: the peer is unreachable, down, or not answering this node',
  bad_signature: 'the peer is not the key pinned for it (or it pinned another key for this node)',
  wrong_node: 'the peer answers for another node id',
  downgrade: 'the peer speaks another cipher suite',
  old_version: 'the peer speaks another protocol version',
  replayed_init: 'an old INIT was replayed, or the peer’s clock went back',
  bad_key: 'the peer sent a key that fails its check',
};

interface PeerWatch {
  /** Handshakes failed since the last one completed, and the last reason. */
  failures: number;
  reason: string;
  /** When the first of those failures came (null: none since a session). */
  failing_since_ms: number | null;
}

export class NodeWarnings {
  private readonly limits: WarningLimits;
  private readonly now_ms: () => number;
  private readonly peers = new Map<number, PeerWatch>();
  /** When each warning (by key) was last given. */
  private readonly last_ms = new Map<string, number>();
  /** The drop counters at the last check, by `layer.reason`, and when it was. */
  private readonly drops_before = new Map<string, number>();
  private checked_ms: number | null = null;
  /** Warnings given, and those held back by the rate limit. */
  given = 0;
  suppressed = 0;

  constructor(now_ms: () => number, limits: Partial<WarningLimits> = {}) {
    this.now_ms = now_ms;
    this.limits = { ...WARNING_LIMITS_DEFAULT, ...limits };
  }

  /** A secure-channel event: a warning when a peer's handshakes keep failing, else null. */
  on_secure_event(event: SecureEvent): NodeWarning | null {
    if (event.kind === 'handshake_completed') {
      this.peers.delete(event.node);
      return null;
    }
    if (event.kind !== 'handshake_failed') return null;
    let watch = this.peers.get(event.node);
    if (watch === undefined) {
      watch = { failures: 0, reason: '', failing_since_ms: null };
      this.peers.set(event.node, watch);
    }
    watch.failures++;
    watch.reason = event.reason;
    watch.failing_since_ms ??= this.now_ms();
    if (watch.failures < this.limits.handshake_failures_warn) return null;
    const cause = CAUSES[event.reason] ?? event.reason;
    return this.give(`handshake_failing:${event.node}`, {
      kind: 'handshake_failing',
      node: event.node,
      reason: event.reason,
      failures: watch.failures,
      message: `node ${event.node}: ${watch.failures} handshakes failed in a row (${event.reason}: ${cause})`,
    });
  }

  /**
   * The periodic check: peers failing for `unreachable_warn_ms`, and drop reasons rising.
   * `dropped` is each layer's drop counters by reason (totals since start).
   */
  check(dropped: Readonly<Record<string, Readonly<Record<string, number>>>>): NodeWarning[] {
    const now = this.now_ms();
    const out: NodeWarning[] = [];
    for (const [node, watch] of this.peers) {
      if (watch.failing_since_ms === null) continue;
      const for_ms = now - watch.failing_since_ms;
      if (for_ms < this.limits.unreachable_warn_ms) continue;
      const warning = this.give(`peer_unreachable:${node}`, {
        kind: 'peer_unreachable',
        node,
        for_ms,
        message: `node ${node}: no session for ${Math.round(for_ms / 1000)} s (last handshake failure: ${watch.reason})`,
      });
      if (warning !== null) out.push(warning);
    }
    const seconds = this.checked_ms === null ? 0 : (now - this.checked_ms) / 1000;
    for (const [layer, reasons] of Object.entries(dropped)) {
      for (const [reason, total] of Object.entries(reasons)) {
        const key = `${layer}.${reason}`;
        // The first check only takes the counts; a reason first seen later rose from 0.
        const before = this.checked_ms === null ? total : (this.drops_before.get(key) ?? 0);
        this.drops_before.set(key, total);
        if (seconds <= 0) continue;
        const per_s = (total - before) / seconds;
        if (per_s < this.limits.drops_warn_per_s) continue;
        const warning = this.give(`drops_rising:${key}`, {
          kind: 'drops_rising',
          layer,
          reason,
          per_s: Math.round(per_s),
          total,
          message: `${layer} dropped ${Math.round(per_s)}/s for ${reason} (${total} in all)`,
        });
        if (warning !== null) out.push(warning);
      }
    }
    this.checked_ms = now;
    return out;
  }

  /** `warning`, unless the same one was given within `warn_interval_ms`. */
  private give(key: string, warning: NodeWarning): NodeWarning | null {
    const now = this.now_ms();
    const last = this.last_ms.get(key);
    if (last !== undefined && now - last < this.limits.warn_interval_ms) {
      this.suppressed++;
      return null;
    }
    this.last_ms.set(key, now);
    this.given++;
    return warning;
  }
}
