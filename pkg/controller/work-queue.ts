/**
 * @module
 * A keyed work queue: the one way the controller schedules work. Keys are level-based ("look at
 * node X again"), never events, so a burst of changes to one key collapses into one run.
 *
 * Guarantees (the shape of client-go's workqueue and controller-runtime's reconcileHandler):
 * - a key is never run twice at once: a key added while it runs is run again right after;
 * - different keys run in parallel, up to `concurrency`;
 * - a failed run is retried with per-key exponential backoff; a success forgets the failures;
 * - a run may ask to be woken later (`requeueAfterMs`); the earliest pending wake-up wins.
 * Time comes from an injected Clock, so tests drive it by hand.
 */
import { systemClock, type Clock, type TimerHandle } from '../support/clock.ts';

export interface ReconcileOutcome {
  /** Run this key again after this long, even if nothing changes. */
  requeueAfterMs?: number;
}

export type Reconcile<K> = (key: K) => Promise<ReconcileOutcome | void>;

export type RunResult = 'success' | 'requeue-after' | 'error';

export interface KeyedQueueOptions<K> {
  reconcile: Reconcile<K>;
  concurrency: number;
  clock?: Clock;
  /** Backoff for failed runs: base * 2^(failures-1), capped. */
  retry?: { baseMs: number; maxMs: number };
  onError?: (key: K, error: unknown, retryInMs: number) => void;
  /** Called after every run; for metrics. */
  onRun?: (key: K, result: RunResult, durationMs: number) => void;
}

export class KeyedQueue<K> {
  readonly #opts: Required<Omit<KeyedQueueOptions<K>, 'onError' | 'onRun'>> & Pick<KeyedQueueOptions<K>, 'onError' | 'onRun'>;
  /** Waiting to run, in arrival order (a Set: insertion-ordered with O(1) removal of the head). */
  readonly #ready = new Set<K>();
  readonly #active = new Set<K>();
  /** Added while running: run again as soon as the current run ends. */
  readonly #dirty = new Set<K>();
  readonly #delayed = new Map<K, { at: number; timer: TimerHandle }>();
  readonly #failures = new Map<K, number>();
  #stopped = false;
  #idle: Array<() => void> = [];

  constructor(options: KeyedQueueOptions<K>) {
    if (!(options.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    this.#opts = {
      clock: systemClock,
      retry: { baseMs: 50, maxMs: 30_000 },
      ...options,
    };
  }

  /** Schedules `key` to run as soon as a worker is free. */
  add(key: K): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#ready.has(key)) return;
    this.#ready.add(key);
    this.#pump();
  }

  /** Schedules `key` after `delayMs`; an earlier pending wake-up for the key is kept. */
  addAfter(key: K, delayMs: number): void {
    if (this.#stopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.#opts.clock.now() + delayMs;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.#opts.clock.after(delayMs, () => {
      const current = this.#delayed.get(key);
      if (current?.timer === timer) this.#delayed.delete(key);
      this.add(key);
    });
    this.#delayed.set(key, { at, timer });
  }

  /** Forgets a key entirely: pending runs, wake-ups and failure history (e.g. a node was deleted). */
  forget(key: K): void {
    this.#ready.delete(key);
    this.#dirty.delete(key);
    this.#delayed.get(key)?.timer.cancel();
    this.#delayed.delete(key);
    this.#failures.delete(key);
  }

  /** Keys waiting to run now (the "queue depth" metric). */
  get depth(): number {
    return this.#ready.size;
  }

  get running(): number {
    return this.#active.size;
  }

  /** Keys with a pending wake-up. */
  get scheduled(): number {
    return this.#delayed.size;
  }

  failuresOf(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Stops taking work, cancels wake-ups, and resolves when the runs in progress have ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#ready.clear();
    this.#dirty.clear();
    for (const { timer } of this.#delayed.values()) timer.cancel();
    this.#delayed.clear();
    await this.whenIdle();
  }

  /** Resolves when nothing is running and nothing is ready to run (tests use this). */
  whenIdle(): Promise<void> {
    if (this.#active.size === 0 && this.#ready.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (!this.#stopped && this.#active.size < this.#opts.concurrency && this.#ready.size > 0) {
      const key = this.#ready.values().next().value as K;
      this.#ready.delete(key);
      this.#start(key);
    }
    if (this.#active.size === 0 && this.#ready.size === 0 && this.#idle.length > 0) {
      const waiters = this.#idle;
      this.#idle = [];
      for (const w of waiters) w();
    }
  }

  #start(key: K): void {
    this.#active.add(key);
    // The run re-derives everything from current state, so an older wake-up is superseded
    // by whatever the run asks for now.
    this.#delayed.get(key)?.timer.cancel();
    this.#delayed.delete(key);
    const started = this.#opts.clock.now();
    let run: Promise<ReconcileOutcome | void>;
    try {
      run = this.#opts.reconcile(key);
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      (outcome) => this.#finish(key, started, outcome ?? {}, undefined),
      (err: unknown) => this.#finish(key, started, undefined, err ?? new Error('reconcile failed')),
    );
  }

  #finish(key: K, started: number, outcome: ReconcileOutcome | undefined, error: unknown): void {
    this.#active.delete(key);
    const duration = this.#opts.clock.now() - started;
    if (outcome === undefined) {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      const { baseMs, maxMs } = this.#opts.retry;
      const delay = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
      this.#opts.onRun?.(key, 'error', duration);
      this.#opts.onError?.(key, error, delay);
      this.addAfter(key, delay);
    } else {
      this.#failures.delete(key);
      const after = outcome.requeueAfterMs;
      this.#opts.onRun?.(key, after !== undefined ? 'requeue-after' : 'success', duration);
      if (after !== undefined) this.addAfter(key, Math.max(1, after));
    }
    if (this.#dirty.delete(key)) this.add(key);
    this.#pump();
  }
}
