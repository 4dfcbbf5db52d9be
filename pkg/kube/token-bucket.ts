/**
 * @module
 * A token bucket for client-side API rate limiting (client-go's QPS/burst). Callers `await
 * take()`; waiters are served in arrival order so one busy node cannot starve another.
 */

export interface TokenBucket {
  take(): Promise<void>;
  /** Tokens available now (fractional), for tests and metrics. */
  available(): number;
}

export function createTokenBucket(o: { qps: number; burst?: number; now?: () => number; sleep?: (ms: number) => Promise<void> }): TokenBucket {
  if (!(o.qps > 0)) throw new RangeError(`qps must be > 0, got ${o.qps}: pass a positive rate or no limit at all`);
  const burst = Math.max(1, o.burst ?? Math.ceil(o.qps));
  const now = o.now ?? (() => performance.now());
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let tokens = burst;
  let last = now();
  // A chain of reservations: each caller waits for the one before it.
  let tail: Promise<void> = Promise.resolve();

  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * o.qps);
    last = t;
  };

  return {
    take() {
      const turn = tail.then(async () => {
        refill();
        if (tokens < 1) {
          await sleep(((1 - tokens) / o.qps) * 1000);
          refill();
        }
        tokens -= 1;
      });
      tail = turn.catch(() => {});
      return turn;
    },
    available() {
      refill();
      return tokens;
    },
  };
}
