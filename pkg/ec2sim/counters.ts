/**
 * @module
 * Calls per EC2 action as the simulator saw them, so tests and benchmarks can assert how many requests a
 * component made (including the SDK's retries) and how many were answered with an error.
 */

export interface ActionCount {
  calls: number;
  /** Answered with any EC2 error, injected ones included. */
  errors: number;
  /** Answered RequestLimitExceeded by fault injection. */
  throttled: number;
  /** Answered InternalError by fault injection. */
  failed: number;
}

export class Counters {
  #byAction = new Map<string, ActionCount>();

  record(action: string, result: 'ok' | 'error' | 'throttled' | 'failed'): void {
    const c = this.#byAction.get(action) ?? { calls: 0, errors: 0, throttled: 0, failed: 0 };
    c.calls += 1;
    if (result !== 'ok') c.errors += 1;
    if (result === 'throttled') c.throttled += 1;
    if (result === 'failed') c.failed += 1;
    this.#byAction.set(action, c);
  }

  /** A copy, keyed by action name. */
  snapshot(): Record<string, ActionCount> {
    return Object.fromEntries([...this.#byAction].map(([k, v]) => [k, { ...v }]));
  }

  calls(action: string): number {
    return this.#byAction.get(action)?.calls ?? 0;
  }

  total(): number {
    let n = 0;
    for (const c of this.#byAction.values()) n += c.calls;
    return n;
  }

  reset(): void {
    this.#byAction.clear();
  }
}
