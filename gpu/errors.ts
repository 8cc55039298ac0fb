/** Errors of the bulk path, with stable `code`s (docs/API.md lists them). */

export type BulkErrorCode =
  /** A WGSL kernel failed to compile or validate; `messages` has the compiler's words. */
  | 'ERR_LATTICE_WGSL'
  /** A kernel spec out of its limits (workgroup size, output size, entry point). */
  | 'ERR_LATTICE_BAD_KERNEL'
  /** A user kernel asked for on the CPU path, with no CPU reference given. */
  | 'ERR_LATTICE_NO_CPU_KERNEL'
  /** A bulk message whose BLAKE3 digest does not match its payload. */
  | 'ERR_LATTICE_DIGEST_MISMATCH'
  /** A bulk message too short or with a bad header. */
  | 'ERR_LATTICE_BAD_BULK_MESSAGE'
  /** The device was lost or an operation on it failed. */
  | 'ERR_LATTICE_GPU';

export class BulkError extends Error {
  constructor(
    readonly code: BulkErrorCode,
    message: string,
    /** The compiler's messages, for ERR_LATTICE_WGSL: `line:column: text`. */
    readonly messages: readonly string[] = [],
  ) {
    super(message);
    this.name = 'BulkError';
  }
}
