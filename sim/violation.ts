/**
 * A broken invariant of a simulated run: the ledger's (nothing lost silently, FIFO, no tampered
 * byte, capabilities) and the scheduler's (no livelock). It stops the run; the simulator turns it
 * into the seed and the command that replays it.
 */
import { ErrorCode } from '../kernel/error_codes.js';
import { LatticeError } from '../kernel/errors.js';

/** The invariants a run checks, each with its code in the registry. */
const INVARIANT_CODES = {
  tamper: ErrorCode.SIM_TAMPER,
  capability: ErrorCode.SIM_CAPABILITY,
  misdelivery: ErrorCode.SIM_MISDELIVERY,
  duplicate: ErrorCode.SIM_DUPLICATE,
  fifo: ErrorCode.SIM_FIFO,
  silent_loss: ErrorCode.SIM_SILENT_LOSS,
  livelock: ErrorCode.SIM_LIVELOCK,
  liveness: ErrorCode.SIM_LIVENESS,
} as const;

/** The name of an invariant. */
export type Invariant = keyof typeof INVARIANT_CODES;

/** An invariant broke. `code` is stable: ERR_LATTICE_SIM_<INVARIANT>. */
export class SimViolation extends LatticeError {
  readonly invariant: Invariant;
  readonly at_us: number;
  constructor(invariant: Invariant, message: string, at_us: number) {
    super(INVARIANT_CODES[invariant], `${invariant}: ${message} (at ${(at_us / 1000).toFixed(3)} ms)`);
    this.name = 'SimViolation';
    this.invariant = invariant;
    this.at_us = at_us;
  }
}

/** A node of the run failed to start; `cause` is why (the run reports it as itself). */
export class SimBootError extends LatticeError {
  readonly node: number;
  constructor(node: number, cause: unknown) {
    super(
      ErrorCode.SIM_BOOT_FAILED,
      `node ${node} failed to boot: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`,
      { cause },
    );
    this.name = 'SimBootError';
    this.node = node;
  }
}
