/**
 * Arrival times inside one sliding window, oldest first: a deque (array + head index) so dropping the oldest is
 * O(1) and memory is bounded by the traffic of one window, not by the run's length.
 */
export class SlidingWindow {
  private times: number[] = [];
  private head = 0;

  /** Number of arrivals still inside the window. */
  get size(): number {
    return this.times.length - this.head;
  }

  /** Records an arrival at `now` (non-decreasing) and returns how many arrivals the window ending at `now` holds. */
  add(now: number, windowMs: number): number {
    this.drop(now, windowMs);
    this.times.push(now);
    return this.size;
  }

  /** Forgets arrivals that left the window `(now - windowMs, now]`. */
  drop(now: number, windowMs: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= now - windowMs) this.head += 1;
    // Compact only once the dead prefix dominates, so each time is moved O(1) times overall.
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
