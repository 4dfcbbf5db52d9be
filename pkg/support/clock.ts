/**
 * @module
 * Time as a port: the controller's queue and timers take a Clock so unit tests can drive time
 * by hand instead of sleeping.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch: for timestamps others read (events, the status, pod creation times). */
  now(): number;
  /**
   * Milliseconds on a clock that never goes back or jumps with NTP: for durations and deadlines that
   * must hold whatever the wall clock does (a Lease's validity, timeouts).
   */
  monotonic(): number;
  /** Runs `fn` once after `delayMs`; the handle cancels it. */
  after(delayMs: number, fn: () => void): TimerHandle;
  /** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  after(delayMs, fn) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    // A pending wake-up must never keep a stopping process alive.
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  random: () => Math.random(),
};

/**
 * A clock that moves only when told to: `advance` fires due timers (and ends sleeps) in time order.
 * Its monotonic time is its wall time; `random` returns the values it was given, in turn.
 */
export class ManualClock implements Clock {
  #now: number;
  #randoms: number[] = [];
  #timers: Array<{ at: number; seq: number; fn: () => void; live: boolean }> = [];
  #seq = 0;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const handle = this.after(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = () => {
        handle.cancel();
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The next values random() returns; 0.5 once they run out. */
  setRandom(...values: number[]): void {
    this.#randoms = values;
  }

  random(): number {
    return this.#randoms.shift() ?? 0.5;
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    const timer = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn, live: true };
    this.#timers.push(timer);
    return { cancel: () => { timer.live = false; } };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers
        .filter((t) => t.live && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#timers = this.#timers.filter((t) => t.live);
    this.#now = target;
  }

  /**
   * Moves time forward by `ms` without running any timer, as a process paused meanwhile (SIGSTOP, a
   * frozen VM) finds its clock when it runs again; the next `advance` runs what fell due, in order.
   */
  skip(ms: number): void {
    this.#now += ms;
  }

  pendingTimers(): number {
    return this.#timers.filter((t) => t.live).length;
  }
}
