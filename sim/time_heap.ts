/**
 * A binary min-heap of times (virtual µs): the arrival times of the packets one link has in
 * flight. The sender keeps it and forgets the arrivals that are due (`drop_due`), so the count in
 * flight is exact at the sender's own time without the receiver writing anything the sender reads
 * (a lane runs ahead of the others: see scheduler.ts).
 */
import { grown } from './grow.js';

const CAPACITY_START = 16;

export class TimeHeap {
  private times = new Float64Array(CAPACITY_START);
  size = 0;

  push(time: number): void {
    if (this.size >= this.times.length) this.times = grown(this.times);
    const times = this.times;
    let at = this.size++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const pt = times[parent]!;
      if (time >= pt) break;
      times[at] = pt;
      at = parent;
    }
    times[at] = time;
  }

  /** The earliest time, or Infinity when empty. */
  peek(): number {
    return this.size === 0 ? Infinity : this.times[0]!;
  }

  /** Removes every time at or before `now`. Returns how many are left. */
  drop_due(now: number): number {
    while (this.size > 0 && this.times[0]! <= now) this.remove_top();
    return this.size;
  }

  private remove_top(): void {
    const last = --this.size;
    if (last === 0) return;
    const times = this.times;
    const time = times[last]!;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= last) break;
      if (child + 1 < last && times[child + 1]! < times[child]!) child++;
      if (time <= times[child]!) break;
      times[at] = times[child]!;
      at = child;
    }
    times[at] = time;
  }
}
