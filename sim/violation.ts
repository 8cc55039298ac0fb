/**
 * A broken invariant of a simulated run: the ledger's (nothing lost silently, FIFO, no tampered
 * byte, capabilities) and the scheduler's (no livelock). It stops the run; the simulator turns it
 * into the seed and the command that replays it.
 */
import { LatticeError } from '../kernel/errors.js';

/** An invariant broke. `code` is stable: ERR_LATTICE_SIM_<INVARIANT>. */
export class SimViolation extends LatticeError {
  readonly invariant: string;
  readonly at_us: number;
  constructor(invariant: string, message: string, at_us: number) {
    super(
      `ERR_LATTICE_SIM_${invariant.toUpperCase()}`,
      `${invariant}: ${message} (at ${(at_us / 1000).toFixed(3)} ms)`,
    );
    this.name = 'SimViolation';
    this.invariant = invariant;
    this.at_us = at_us;
  }
}
