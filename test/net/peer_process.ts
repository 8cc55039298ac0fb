// Starting net_peer.ts as a separate OS process and talking to it in JSON lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../fixtures/net_peer.ts', import.meta.url));

export class PeerProcess {
  readonly child: ChildProcess;
  private readonly events: Record<string, unknown>[] = [];
  private readonly waiters: {
    match: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
  }[] = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      const waiter = this.waiters.findIndex((w) => w.match(event));
      if (waiter >= 0) this.waiters.splice(waiter, 1)[0]!.resolve(event);
      else this.events.push(event);
    });
  }

  /** The next event with `key`, waiting for it if need be. */
  next(key: string): Promise<Record<string, unknown>> {
    const match = (e: Record<string, unknown>) => key in e;
    const queued = this.events.findIndex(match);
    if (queued >= 0) return Promise.resolve(this.events.splice(queued, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Kills the process (SIGKILL: no clean close of its sockets) and waits for it to exit. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
