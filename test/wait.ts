// Waiting on a condition without sleeping: yields one event-loop turn at a time (no timers),
// so the wait ends on the very turn the condition becomes true, and is bounded.

/** Resolves once `predicate()` holds; rejects after `turns_max` turns of the event loop. */
export async function until(predicate: () => boolean, what = 'condition', turns_max = 200_000): Promise<void> {
  for (let turn = 0; turn < turns_max; turn++) {
    if (predicate()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`until: ${what} did not hold after ${turns_max} event-loop turns`);
}
