/**
 * Assertions: the guard rails for programmer errors.
 *
 * An assertion failure means the code is wrong, not that the world is: a caller broke a
 * precondition, or an invariant of shared memory no longer holds. Operating errors (a full ring,
 * a refused connection, a bad packet from the network) are never assertions; they are result
 * codes or `LatticeError`s with a stable `code`.
 *
 * Every helper takes a constant `what` string so the passing path allocates nothing; the values
 * are formatted into the message only when the assertion fails.
 */

import { ErrorCode } from './error_codes.js';
import { LatticeError } from './errors.js';

/**
 * Thrown when an assertion fails: code `ERR_LATTICE_ASSERTION`, so tests and hosts tell it from
 * operating errors. It is a `LatticeError` like every error Lattice throws, but never one to
 * handle: it means the code is wrong.
 */
export class AssertionError extends LatticeError {
  constructor(message: string) {
    super(ErrorCode.ASSERTION, message);
    this.name = 'AssertionError';
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  const name = value.constructor?.name ?? 'Object';
  if (ArrayBuffer.isView(value)) return `${name}(${value.byteLength} bytes)`;
  return name;
}

/** Asserts that `condition` holds. */
export function assert(condition: unknown, what = 'assertion'): asserts condition {
  if (!condition) throw new AssertionError(`${what}: failed`);
}

/** Asserts `actual === expected`, printing both on failure. */
export function assert_eq<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Asserts that `value` is an integer in `[min, max]`, printing the value and bounds on failure. */
export function assert_range(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AssertionError(`${what}: expected an integer in [${min}, ${max}], got ${show(value)}`);
  }
}

/** Asserts that `value` is a positive power of two. */
export function assert_power_of_two(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0 || (value & (value - 1)) !== 0) {
    throw new AssertionError(`${what}: expected a positive power of two, got ${show(value)}`);
  }
}

/** Asserts that `value` is a multiple of `alignment`. */
export function assert_aligned(value: number, alignment: number, what: string): void {
  if (!Number.isInteger(value) || value % alignment !== 0) {
    throw new AssertionError(`${what}: expected a multiple of ${alignment}, got ${show(value)}`);
  }
}

/** Marks a branch that must be unreachable; `value` is the case that reached it. */
export function unreachable(value: never, what: string): never {
  throw new AssertionError(`${what}: unreachable case ${show(value)}`);
}
