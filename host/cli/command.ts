/** The shape of a `lattice` subcommand and the error for bad usage (exit code 2). */
import { ErrorCode } from '../../kernel/error_codes.js';
import { LatticeError } from '../../kernel/errors.js';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What `parse` returns: `parseArgs`'s result for `options`, with positionals, strict. */
export type ParsedArgs<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** Runs with the arguments after the subcommand's name; resolves to the exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/** Bad arguments: the CLI prints the message and the command's help, and exits with 2. */
export class UsageError extends LatticeError {
  constructor(message: string) {
    super(ErrorCode.USAGE, message);
    this.name = 'UsageError';
  }
}

/** `parseArgs` that turns its errors into `UsageError`s. */
export function parse<O extends Options>(argv: readonly string[], options: O, positionals_max: number): ParsedArgs<O> {
  try {
    const parsed = parseArgs({ args: [...argv], options, allowPositionals: true as const, strict: true as const });
    if (parsed.positionals.length > positionals_max) {
      throw new UsageError(`unexpected argument '${parsed.positionals[positionals_max]}'`);
    }
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}
