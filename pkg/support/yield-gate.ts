/**
 * @module
 * Background work that stands aside while urgent work is in flight. The API server's capacity is
 * shared: an event written while a burst of pod annotations is on its way costs each of those pods
 * a share of the server's time. Separate rate limits keep the background from queueing ahead of a
 * pod in our own process; this gate also keeps it off the server until the pods' writes are done.
 *
 * Background waits while any urgent operation runs and for a short quiet period after the last one (the
 * next pod of a burst usually follows within it). Once the urgent side has been busy for `maxWaitMs`
 * without a quiet period, the background goes without waiting, at its own rate limit, until the urgent
 * side is quiet again: under sustained load it is slowed by at most `maxWaitMs`, never starved. (A wait
 * per caller would not do: the event recorder writes one event at a time, so each would wait anew.)
 */
import type { Clock, TimerHandle } from './clock.ts';

export interface YieldGateOptions {
  clock: Clock;
  /** How long the urgent side must have been idle before background work goes. */
  quietMs: number;
  /** How long background work stands aside for an urgent side that stays busy. */
  maxWaitMs: number;
}

export class YieldGate {
  readonly #o: YieldGateOptions;
  #running = 0;
  #lastEnded = Number.NEGATIVE_INFINITY;
  /** When the urgent side last went from quiet to busy. */
  #busySince = Number.NEGATIVE_INFINITY;
  #waiters: Array<() => void> = [];
  #timer: TimerHandle | undefined;

  constructor(o: YieldGateOptions) {
    this.#o = o;
  }

  /** Runs `fn` as urgent work: background callers wait until it and its quiet period are over. */
  async urgent<T>(fn: () => Promise<T>): Promise<T> {
    const now = this.#o.clock.monotonic();
    if (this.#running === 0 && now >= this.#lastEnded + this.#o.quietMs) this.#busySince = now;
    this.#running++;
    try {
      return await fn();
    } finally {
      this.#running--;
      this.#lastEnded = this.#o.clock.monotonic();
      this.#schedule();
    }
  }

  /** Resolves when background work may go: the urgent side is quiet, or has been busy for maxWaitMs. */
  yielded(): Promise<void> {
    if (this.#openAt() <= this.#o.clock.monotonic()) return Promise.resolve();
    return new Promise((wake) => {
      this.#waiters.push(wake);
      this.#schedule();
    });
  }

  /** Urgent operations in flight (for tests and metrics). */
  get running(): number {
    return this.#running;
  }

  /** When background work may go: the end of the quiet period, or maxWaitMs into a busy stretch. */
  #openAt(): number {
    const quietAt = this.#running > 0 ? Number.POSITIVE_INFINITY : this.#lastEnded + this.#o.quietMs;
    return Math.min(quietAt, this.#busySince + this.#o.maxWaitMs);
  }

  #schedule(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#waiters.length === 0) return;
    const now = this.#o.clock.monotonic();
    const openAt = this.#openAt();
    if (openAt <= now) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
      return;
    }
    this.#timer = this.#o.clock.after(openAt - now, () => {
      this.#timer = undefined;
      this.#schedule();
    });
  }
}
