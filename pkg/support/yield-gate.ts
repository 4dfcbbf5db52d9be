/**
 * @module
 * Background work that stands aside while urgent work is in flight. The API server's capacity is
 * shared: an event written while a burst of pod annotations is on its way costs each of those pods
 * a share of the server's time. Separate rate limits keep the background from queueing ahead of a
 * pod in our own process; this gate also keeps it off the server until the pods' writes are done.
 *
 * A background caller waits while any urgent operation runs, and for a short quiet period after the
 * last one (the next pod of a burst usually follows within it), but never longer than `maxWaitMs`,
 * so under sustained load the background still moves, at its own rate limit.
 */
import type { Clock, TimerHandle } from './clock.ts';

export interface YieldGateOptions {
  clock: Clock;
  /** How long the urgent side must have been idle before background work goes. */
  quietMs: number;
  /** The longest a background caller waits, whatever the urgent side does. */
  maxWaitMs: number;
}

export class YieldGate {
  readonly #o: YieldGateOptions;
  #running = 0;
  #lastEnded = Number.NEGATIVE_INFINITY;
  #waiters: Array<{ deadline: number; wake: () => void }> = [];
  #timer: TimerHandle | undefined;

  constructor(o: YieldGateOptions) {
    this.#o = o;
  }

  /** Runs `fn` as urgent work: background callers wait until it and its quiet period are over. */
  async urgent<T>(fn: () => Promise<T>): Promise<T> {
    this.#running++;
    try {
      return await fn();
    } finally {
      this.#running--;
      this.#lastEnded = this.#o.clock.monotonic();
      this.#schedule();
    }
  }

  /** Resolves when background work may go: the urgent side is quiet, or `maxWaitMs` has passed. */
  yielded(): Promise<void> {
    const now = this.#o.clock.monotonic();
    if (this.#quietAt(now) <= now) return Promise.resolve();
    return new Promise((wake) => {
      this.#waiters.push({ deadline: now + this.#o.maxWaitMs, wake });
      this.#schedule();
    });
  }

  /** Urgent operations in flight (for tests and metrics). */
  get running(): number {
    return this.#running;
  }

  /** When the urgent side will have been quiet for quietMs; +Infinity while something runs. */
  #quietAt(now: number): number {
    if (this.#running > 0) return Number.POSITIVE_INFINITY;
    return Math.max(now, this.#lastEnded + this.#o.quietMs);
  }

  #schedule(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#waiters.length === 0) return;
    const now = this.#o.clock.monotonic();
    const quietAt = this.#quietAt(now);
    const due = this.#waiters.filter((w) => w.deadline <= now || quietAt <= now);
    if (due.length > 0) {
      this.#waiters = this.#waiters.filter((w) => !due.includes(w));
      for (const w of due) w.wake();
    }
    if (this.#waiters.length === 0) return;
    const next = Math.min(quietAt, ...this.#waiters.map((w) => w.deadline));
    this.#timer = this.#o.clock.after(next - now, () => {
      this.#timer = undefined;
      this.#schedule();
    });
  }
}
