/**
 * Operating errors with stable `code` strings (in the manner of undici and Node's `ERR_*`).
 *
 * Three families:
 * - `ConfigError`: a configuration or argument given at set-up time is unusable (a buffer of the
 *   wrong type, a ring capacity that is not a power of two, a region too small).
 * - `StatusError`: a hot-path result code turned into an exception by `check()`, for callers that
 *   prefer exceptions. Its `status` is the number; its `code` is the stable string.
 * - Subsystems (network, secure channel, GPU) add their own subclasses of `LatticeError`.
 *
 * Programmer errors are not here: they are `AssertionError`s (assert.ts).
 */
import { ErrorCode } from './error_codes.js';
import { Status, status_retriable } from './status.js';

export { ErrorCode };

/**
 * Base class of every error Lattice throws. `code` is one of the registry's (error_codes.ts) and
 * stable across releases: branch on it, never on the message.
 */
export class LatticeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LatticeError';
    this.code = code;
  }
}

/** A configuration value or set-up argument is unusable. */
export class ConfigError extends LatticeError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'ConfigError';
  }
}

const status_codes: ReadonlyMap<number, ErrorCode> = new Map(
  Object.entries(Status)
    .filter(([name]) => name !== 'OK')
    .map(([name, value]) => [value, ErrorCode[name as Exclude<keyof typeof Status, 'OK'>]]),
);

const status_messages: ReadonlyMap<number, string> = new Map<number, string>([
  [Status.OK, 'ok'],
  [Status.WOULD_BLOCK, 'no message is waiting (non-blocking receive)'],
  [Status.TIMEOUT, 'no message arrived before the receive timed out'],
  [Status.BACKPRESSURE, 'every ring on the path and the spill region are full; retry later'],
  [Status.BAD_PID, 'pid is outside [0, pids_max)'],
  [Status.NOT_BOUND, 'pid is bound to no core'],
  [Status.TOO_BIG, 'payload is over the inline cap or the largest slab block'],
  [Status.WRONG_CORE, 'sending pid is not bound to the core this thread is attached to'],
  [Status.CHANNEL_TABLE_FULL, 'the channel table has no free entry'],
  [Status.STALE_BLOCK, 'payload block was already released, or its descriptor is stale'],
  [Status.CLOSED, 'the node is closing'],
  [Status.BAD_ARGUMENT, 'an argument is out of its documented range'],
  [Status.NO_CAP, 'no such capability (never issued, revoked, or its slot reused)'],
  [Status.NO_RIGHT, 'the capability lacks the right this operation needs'],
  [Status.STALE_CHANNEL, 'the channel was closed'],
  [Status.NOT_LISTENING, 'the pid has not called listen, so it may not receive'],
  [Status.CYCLE, 'the dependency would close a cycle in the channel graph'],
  [Status.TABLE_FULL, 'a capability table or the edge pool is full'],
  [Status.DEAD_PEER, 'the called process exited before replying'],
  [Status.NO_CHANNEL, 'no open channel matches'],
  [Status.NOT_WAITING, 'the caller is no longer waiting for this reply'],
  [Status.NO_ROUTE, 'the channel leads to another node and no network route is set'],
]);

/** The stable code string of a failing status, e.g. `ERR_LATTICE_BACKPRESSURE`. */
export function status_code(status: number): ErrorCode {
  const code = status_codes.get(status);
  if (code === undefined) throw new RangeError(`status_code: ${status} is not a failing Status`);
  return code;
}

/** A hot-path status raised as an exception. */
export class StatusError extends LatticeError {
  readonly status: number;
  /** True when the same call may succeed later unchanged (would block, timeout, back-pressure). */
  readonly retriable: boolean;
  constructor(status: number, context?: string) {
    const message = status_messages.get(status) ?? `status ${status}`;
    super(status_code(status), context === undefined ? message : `${context}: ${message}`);
    this.name = 'StatusError';
    this.status = status;
    this.retriable = status_retriable(status);
  }
}

/** Throws a `StatusError` if `status` is a failure; returns it otherwise. */
export function check(status: number, context?: string): number {
  if (status < 0) throw new StatusError(status, context);
  return status;
}
