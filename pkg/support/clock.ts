/**
 * @module
 * Time as a port: the controller's queue and timers take a Clock so unit tests can drive time
 * by hand instead of sleeping.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `delayMs`; the handle cancels it. */
  after(delayMs: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(delayMs, fn) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    // A pending wake-up must never keep a stopping process alive.
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock that moves only when told to: `advance` fires due timers in time order. */
export class ManualClock implements Clock {
  #now: number;
  #timers: Array<{ at: number; seq: number; fn: () => void; live: boolean }> = [];
  #seq = 0;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
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

  pendingTimers(): number {
    return this.#timers.filter((t) => t.live).length;
  }
}
