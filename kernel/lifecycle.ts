/**
 * One lifecycle for every resource that holds something (the undici shape): `close()` drains,
 * then releases; `destroy()` aborts and releases at once. Both are idempotent and return the
 * same promise each time, and a `destroy()` while a `close()` is draining cuts the drain short:
 * the close's promise then resolves as soon as the abort has released everything.
 *
 * A resource keeps one `Lifecycle` and passes it its two halves:
 * - `drain()`: waits until nothing is in flight (it may never finish on its own: a destroy ends
 *   the wait);
 * - `release(aborted)`: lets go of everything (sockets, timers, attachments, threads), knowing
 *   whether the drain completed or was cut short.
 */
export class Lifecycle {
  private ended: Promise<void> | null = null;
  private cut: (() => void) | null = null;
  private aborted_flag = false;

  /** Whether `close` or `destroy` has begun: a resource refuses new work from then on. */
  get ending(): boolean {
    return this.ended !== null;
  }

  /** Whether `destroy` was called (a drain in progress should give up). */
  get aborted(): boolean {
    return this.aborted_flag;
  }

  /** Drains, then releases. Idempotent. */
  close(drain: () => Promise<void>, release: (aborted: boolean) => Promise<void>): Promise<void> {
    if (this.ended !== null) return this.ended;
    const cut_short = new Promise<void>((resolve) => {
      this.cut = resolve;
    });
    this.ended = (async () => {
      await Promise.race([drain(), cut_short]);
      await release(this.aborted_flag);
    })();
    return this.ended;
  }

  /** Aborts: releases at once, or cuts a pending close's drain short. Idempotent. */
  destroy(release: (aborted: boolean) => Promise<void>): Promise<void> {
    this.aborted_flag = true;
    if (this.ended !== null) {
      this.cut?.();
      return this.ended;
    }
    this.ended = release(true);
    return this.ended;
  }
}
