/** Errors of the bulk path, with stable `code`s from the registry (kernel/error_codes.ts; docs/API.md lists them). */
import type { ErrorCode } from '../kernel/error_codes.js';
import { LatticeError } from '../kernel/errors.js';

/** The codes a `BulkError` carries. */
export type BulkErrorCode =
  | typeof ErrorCode.WGSL
  | typeof ErrorCode.BAD_KERNEL
  | typeof ErrorCode.NO_CPU_KERNEL
  | typeof ErrorCode.DIGEST_MISMATCH
  | typeof ErrorCode.BAD_BULK_MESSAGE
  | typeof ErrorCode.GPU;

export class BulkError extends LatticeError {
  declare readonly code: BulkErrorCode;
  constructor(
    code: BulkErrorCode,
    message: string,
    /** The compiler's messages, for ERR_LATTICE_WGSL: `line:column: text`. */
    readonly messages: readonly string[] = [],
  ) {
    super(code, message);
    this.name = 'BulkError';
  }
}
