// Runs the `lattice` command as users do (node bin/lattice.mjs …), for the CLI tests.
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';

export const BIN = new URL('../bin/lattice.mjs', import.meta.url).pathname;

/** Runs `lattice ARGS` in `cwd` to the end: exit code and output. */
export async function lattice(
  cwd: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A long-running `lattice` process that prints JSON-line events and reads JSON-line commands. */
export class LatticeProcess {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly events: Record<string, unknown>[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  private readonly waiters: {
    match: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
  }[] = [];

  constructor(cwd: string, args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      this.events.push(event);
      for (const w of this.waiters.splice(0)) {
        if (w.match(event)) w.resolve(event);
        else this.waiters.push(w);
      }
    });
  }

  /** The first event (already seen or still to come) that `match` accepts. */
  next(match: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.waiters.push({ match, resolve });
      void this.exited.then((code) =>
        reject(new Error(`lattice exited (${code}) before the event; stderr: ${this.stderr}`)),
      );
    });
  }

  send(command: Record<string, unknown>): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** Kills it if it still runs (test clean-up). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
