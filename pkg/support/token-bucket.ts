/**
 * @module
 * A token bucket for EC2 calls. Upstream smooths its EC2 traffic with one client-side bucket (12 calls/s,
 * burst 18 by default) for the whole process; so do we, so that many nodes reconciling at once share one
 * budget instead of each tripping EC2's account-wide throttling.
 *
 * Reservation style: a caller takes a token at once, even if that drives the balance negative, and then waits
 * until its token would have been refilled. That makes waiters first-come first-served without a queue.
 */

import { systemClock, type Clock } from './clock.ts';

export interface TokenBucketOptions {
  /** Tokens added per second; must be > 0. */
  ratePerSecond: number;
  /** Most tokens the bucket holds (and so the largest burst); must be >= 1. */
  burst: number;
  /** Refills follow its monotonic time; waits are its sleeps. Default: the system clock. */
  clock?: Pick<Clock, 'monotonic' | 'sleep'>;
}

export class TokenBucketError extends Error {
  readonly code = 'WINPREFIX_BAD_RATE_LIMIT';
  constructor(message: string) {
    super(message);
    this.name = 'TokenBucketError';
  }
}

export class TokenBucket {
  #rate = 0;
  #burst = 0;
  #tokens = 0;
  #updatedAt: number;
  readonly #clock: Pick<Clock, 'monotonic' | 'sleep'>;

  constructor(options: TokenBucketOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#updatedAt = this.#clock.monotonic();
    this.configure(options);
    this.#tokens = this.#burst;
  }

  /** Changes rate and burst in place (keeps the current balance, clamped to the new burst). */
  configure(options: { ratePerSecond: number; burst: number }): void {
    if (!(Number.isFinite(options.ratePerSecond) && options.ratePerSecond > 0)) {
      throw new TokenBucketError(`EC2 rate limit ${options.ratePerSecond} calls/s is invalid: use a number > 0 (upstream's default is 12)`);
    }
    if (!(Number.isInteger(options.burst) && options.burst >= 1)) {
      throw new TokenBucketError(`EC2 burst ${options.burst} is invalid: use an integer >= 1 (upstream's default is 18)`);
    }
    this.#refill();
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#tokens = Math.min(this.#tokens, this.#burst);
  }

  get ratePerSecond(): number {
    return this.#rate;
  }

  get burst(): number {
    return this.#burst;
  }

  /** Tokens available now (negative while callers are waiting). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes a token if one is available now, without waiting. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Takes a token, waiting as long as needed. Returns the time waited in ms. */
  async take(signal?: AbortSignal): Promise<number> {
    this.#refill();
    this.#tokens -= 1;
    if (this.#tokens >= 0) return 0;
    const waitMs = (-this.#tokens / this.#rate) * 1000;
    await this.#clock.sleep(waitMs, signal);
    if (signal?.aborted) {
      // An aborted waiter gives its reservation back so later callers do not wait for it.
      this.#tokens += 1;
      throw signal.reason;
    }
    return waitMs;
  }

  #refill(): void {
    const now = this.#clock.monotonic();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed / 1000) * this.#rate);
  }
}

let processBucket: TokenBucket | undefined;

/**
 * The one EC2 bucket of this process. The first call creates it; later calls with other settings reconfigure
 * it in place (the last configuration wins), so every adapter in the process keeps sharing one budget.
 */
export function processEc2TokenBucket(options: { ratePerSecond: number; burst: number }): TokenBucket {
  if (!processBucket) processBucket = new TokenBucket(options);
  else if (processBucket.ratePerSecond !== options.ratePerSecond || processBucket.burst !== options.burst) processBucket.configure(options);
  return processBucket;
}
