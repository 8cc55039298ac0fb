/**
 * Result codes of the hot path.
 *
 * Sending and receiving never throw and never allocate: they return one of these small
 * integers, like errno. `OK` is zero and every failure is negative, so `status < 0` tests for
 * any failure. The numbers are stable: they are part of the API (docs/API.md lists them) and
 * they travel through shared memory between threads.
 *
 * Code that prefers exceptions turns a status into a typed `StatusError` with `check(status)`
 * (see errors.ts); its `code` string is just as stable.
 */
export const Status = {
  /** Done. */
  OK: 0,
  /** Non-blocking receive found no message. Retriable. */
  WOULD_BLOCK: -1,
  /** Blocking receive waited its whole time (100 ms by default) and found no message. Retriable. */
  TIMEOUT: -2,
  /** Every ring on the message's path and the spill region are full. Retriable. */
  BACKPRESSURE: -3,
  /** The pid is outside `[0, pids_max)`. */
  BAD_PID: -4,
  /** The pid is bound to no core. */
  NOT_BOUND: -5,
  /** The payload is over the inline cap (for inline messages) or the largest slab block. */
  TOO_BIG: -6,
  /** The sending pid is not bound to the core this thread is attached to. */
  WRONG_CORE: -7,
  /** The node's channel table has no free entry. */
  CHANNEL_TABLE_FULL: -8,
  /** A payload block was released twice, or its descriptor is stale. */
  STALE_BLOCK: -9,
  /** The node is closing. */
  CLOSED: -10,
  /** An argument is out of its documented range (a batch count, a block length). */
  BAD_ARGUMENT: -11,
  /** The capability handle names no capability: never issued, revoked, or its slot reused. */
  NO_CAP: -12,
  /** The capability lacks the right the operation needs. */
  NO_RIGHT: -13,
  /** The channel was closed (the capability or channel handle is of an older incarnation). */
  STALE_CHANNEL: -14,
  /** The pid has not called `listen`, so it may not receive. */
  NOT_LISTENING: -15,
  /** The dependency edge would close a cycle in the channel graph. */
  CYCLE: -16,
  /** A capability table or the graph's edge pool is full. */
  TABLE_FULL: -17,
  /** The called process exited before replying. */
  DEAD_PEER: -18,
  /** No open channel matches. */
  NO_CHANNEL: -19,
  /** The caller is no longer waiting for this reply (it timed out or exited). */
  NOT_WAITING: -20,
  /** The channel leads to another node and no network route is set. */
  NO_ROUTE: -21,
} as const;

/** One of the values of `Status`. */
export type Status = (typeof Status)[keyof typeof Status];

/** Statuses that succeed if retried later without changing anything. */
export function status_retriable(status: number): boolean {
  return status === Status.WOULD_BLOCK || status === Status.TIMEOUT || status === Status.BACKPRESSURE;
}

const STATUS_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Status).map(([name, value]) => [value, name]));

/**
 * The name of a status code as `Status` spells it (`status_name(-1)` is `'WOULD_BLOCK'`), or
 * `'UNKNOWN(n)'` for a number that is not one. For logs and messages; code compares numbers.
 */
export function status_name(status: number): string {
  return STATUS_NAMES.get(status) ?? `UNKNOWN(${status})`;
}
