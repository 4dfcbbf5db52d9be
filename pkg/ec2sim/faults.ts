/**
 * @module
 * Fault injection: added latency, a fraction of calls throttled (RequestLimitExceeded, HTTP 503), a fraction
 * failed (InternalError, HTTP 500), optionally only for some actions, and eventual consistency (new assignments
 * hidden from describes for a while). Fractions draw from a seeded PRNG so a test run is reproducible.
 * `accountRateLimit` throttles the way EC2 really does: by rate, per account, whatever the request.
 */
import { TokenBucket } from '../support/token-bucket.ts';
import type { Clock } from '../support/clock.ts';
import { ACTIONS } from './actions.ts';
import { createPrng, type Prng } from './prng.ts';

export interface FaultConfig {
  /** Added to every targeted call before it is answered. */
  latencyMs?: number;
  /** 0..1: share of targeted calls answered RequestLimitExceeded (503). */
  throttleFraction?: number;
  /** 0..1: share of targeted calls answered InternalError (500). */
  failFraction?: number;
  /** Only these actions get latency/throttling/failures; all actions when absent or empty. */
  actions?: string[];
  /** New assignments stay invisible to describes for this long. Applies whatever `actions` says. */
  visibilityDelayMs?: number;
  /** Re-seeds the PRNG used for fractions (default 1). */
  seed?: number;
  /** These actions answer UnauthorizedOperation (HTTP 403), as if the credentials lacked ec2:<Action>. */
  unauthorizedActions?: string[];
  /**
   * EC2-style request-rate throttling for the targeted actions: a token bucket refilled at `ratePerSecond`,
   * holding `burst`; a call finding it empty answers RequestLimitExceeded.
   */
  accountRateLimit?: { ratePerSecond: number; burst: number };
}

export type FaultDecision = { latencyMs: number; outcome: 'pass' | 'throttle' | 'fail' | 'unauthorized' };

export class FaultError extends Error {
  readonly code = 'WINPREFIX_SIM_BAD_FAULTS';
  constructor(message: string) {
    super(message);
    this.name = 'FaultError';
  }
}

export class Faults {
  #config: FaultConfig = {};
  #prng: Prng = createPrng(1);
  #accountBucket: TokenBucket | undefined;
  readonly #clock: Pick<Clock, 'monotonic' | 'sleep'> | undefined;

  /** `clock` drives `accountRateLimit` refills (default: the system clock); tests pass a fake one. */
  constructor(options: { clock?: Pick<Clock, 'monotonic' | 'sleep'> } = {}) {
    this.#clock = options.clock;
  }

  /** Replaces the whole configuration (validated); `{}` clears every fault. */
  set(config: FaultConfig): void {
    this.#config = validateFaults(config);
    this.#prng = createPrng(config.seed ?? 1);
    const limit = this.#config.accountRateLimit;
    this.#accountBucket = limit ? new TokenBucket({ ...limit, clock: this.#clock }) : undefined;
  }

  clear(): void {
    this.set({});
  }

  get(): FaultConfig {
    return structuredClone(this.#config);
  }

  get visibilityDelayMs(): number {
    return this.#config.visibilityDelayMs ?? 0;
  }

  decide(action: string): FaultDecision {
    const c = this.#config;
    if (c.unauthorizedActions?.includes(action)) return { latencyMs: 0, outcome: 'unauthorized' };
    if (c.actions && c.actions.length > 0 && !c.actions.includes(action)) return { latencyMs: 0, outcome: 'pass' };
    const latencyMs = c.latencyMs ?? 0;
    if (this.#accountBucket && !this.#accountBucket.tryTake()) return { latencyMs, outcome: 'throttle' };
    if ((c.throttleFraction ?? 0) > 0 || (c.failFraction ?? 0) > 0) {
      const roll = this.#prng.next();
      if (roll < (c.throttleFraction ?? 0)) return { latencyMs, outcome: 'throttle' };
      if (roll < (c.throttleFraction ?? 0) + (c.failFraction ?? 0)) return { latencyMs, outcome: 'fail' };
    }
    return { latencyMs, outcome: 'pass' };
  }
}

const KNOWN_KEYS = ['latencyMs', 'throttleFraction', 'failFraction', 'actions', 'visibilityDelayMs', 'seed', 'unauthorizedActions', 'accountRateLimit'];

export function validateFaults(input: unknown): FaultConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FaultError(`fault configuration must be a JSON object with ${KNOWN_KEYS.join(', ')}; got ${JSON.stringify(input)}`);
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.includes(key)) throw new FaultError(`unknown fault field "${key}"; known fields: ${KNOWN_KEYS.join(', ')}`);
  }
  const out: FaultConfig = {};
  const nonNegative = (key: 'latencyMs' | 'visibilityDelayMs' | 'seed'): void => {
    const v = raw[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new FaultError(`${key} must be a number >= 0; got ${JSON.stringify(v)}`);
    out[key] = v;
  };
  const fraction = (key: 'throttleFraction' | 'failFraction'): void => {
    const v = raw[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new FaultError(`${key} must be a number between 0 and 1; got ${JSON.stringify(v)}`);
    out[key] = v;
  };
  nonNegative('latencyMs');
  nonNegative('visibilityDelayMs');
  nonNegative('seed');
  fraction('throttleFraction');
  fraction('failFraction');
  if ((out.throttleFraction ?? 0) + (out.failFraction ?? 0) > 1) {
    throw new FaultError(`throttleFraction + failFraction must not exceed 1; got ${out.throttleFraction} + ${out.failFraction}`);
  }
  if (raw.accountRateLimit !== undefined) {
    const r = raw.accountRateLimit as { ratePerSecond?: unknown; burst?: unknown } | null;
    const rate = r?.ratePerSecond;
    const burst = r?.burst;
    if (typeof rate !== 'number' || !(rate > 0) || typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
      throw new FaultError(`accountRateLimit must be { "ratePerSecond": > 0, "burst": integer >= 1 }; got ${JSON.stringify(raw.accountRateLimit)}`);
    }
    out.accountRateLimit = { ratePerSecond: rate, burst };
  }
  for (const key of ['actions', 'unauthorizedActions'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every((a) => typeof a === 'string')) {
      throw new FaultError(`${key} must be a list of EC2 action names such as ["AssignPrivateIpAddresses"]; got ${JSON.stringify(v)}`);
    }
    // A misspelt name would match no request, and a test would pass without the fault it asked for.
    const unknown = (v as string[]).filter((a) => !Object.hasOwn(ACTIONS, a));
    if (unknown.length > 0) {
      throw new FaultError(`${key}: ${JSON.stringify(unknown)} not served by this simulator; use some of ${Object.keys(ACTIONS).join(', ')}`);
    }
    out[key] = [...(v as string[])];
  }
  return out;
}
