/**
 * The writable signal of a port (a Node stream's 'drain', as a promise per peer): a sender that
 * met `would_block` awaits `writable(node)` instead of polling, and the port releases the wait
 * when that peer's queue has room again, or when retrying is pointless (the peer was dropped,
 * the port stopped): the next send then says why.
 */
export class WritableSignal {
  private readonly waiting = new Map<number, (() => void)[]>();

  /** Whether anyone waits for `node`. */
  waits(node: number): boolean {
    return this.waiting.has(node);
  }

  /** Resolves at the next `release(node)` or `release_all()`. */
  wait(node: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const list = this.waiting.get(node);
      if (list === undefined) this.waiting.set(node, [resolve]);
      else list.push(resolve);
    });
  }

  /** Releases every wait for `node`. */
  release(node: number): void {
    const list = this.waiting.get(node);
    if (list === undefined) return;
    this.waiting.delete(node);
    for (const resolve of list) resolve();
  }

  /** Releases every wait (the port is stopping). */
  release_all(): void {
    for (const node of [...this.waiting.keys()]) this.release(node);
  }
}
