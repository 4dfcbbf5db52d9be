import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket, TokenBucketError, processEc2TokenBucket } from './token-bucket.ts';
import { ManualClock, type Clock } from './clock.ts';

type BucketClock = Pick<Clock, 'monotonic' | 'sleep'>;

/** A clock that only moves when the bucket sleeps (or the test advances it). */
function fakeClock(): BucketClock & { t: number; sleeps: number[] } {
  const c = {
    t: 0,
    sleeps: [] as number[],
    monotonic: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

describe('TokenBucket', () => {
  test('a full bucket serves a burst without waiting, then paces at the rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, clock });
    for (let i = 0; i < 3; i++) assert.equal(await bucket.take(), 0);
    // The 4th token is refilled 100 ms later at 10/s.
    assert.equal(Math.round(await bucket.take()), 100);
    assert.equal(Math.round(await bucket.take()), 100);
    assert.deepEqual(clock.sleeps.map(Math.round), [100, 100]);
  });

  test('concurrent waiters are served in order, each one token interval after the previous', async () => {
    const clock = fakeClock();
    // The clock must not advance during the sleeps here, so every waiter reserves against the same instant.
    const sleeps: number[] = [];
    const still: BucketClock = { monotonic: () => clock.t, sleep: async (ms) => void sleeps.push(ms) };
    const bucket = new TokenBucket({ ratePerSecond: 4, burst: 1, clock: still });
    await Promise.all([bucket.take(), bucket.take(), bucket.take(), bucket.take()]);
    assert.deepEqual(sleeps.map(Math.round), [250, 500, 750]);
  });

  test('refills over time but never beyond the burst', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 5, clock });
    for (let i = 0; i < 5; i++) assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), false);
    clock.t += 1000;
    assert.equal(Math.round(bucket.available), 2);
    clock.t += 60_000;
    assert.equal(bucket.available, 5);
  });

  test('an aborted waiter returns its reservation', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1, clock });
    await bucket.take();
    const ac = new AbortController();
    const waiting = bucket.take(ac.signal);
    assert.equal(bucket.available, -1);
    ac.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    assert.equal(bucket.available, 0);
    clock.advance(1000);
    assert.equal(bucket.available, 1);
  });

  test('bad settings name the value and the default', () => {
    assert.throws(() => new TokenBucket({ ratePerSecond: 0, burst: 1 }), (e: unknown) => e instanceof TokenBucketError && /0 calls\/s.*default is 12/.test(e.message));
    assert.throws(() => new TokenBucket({ ratePerSecond: 5, burst: 0.5 }), (e: unknown) => e instanceof TokenBucketError && e.code === 'WINPREFIX_BAD_RATE_LIMIT' && /0\.5/.test(e.message));
  });

  test('the process bucket is one object, reconfigured in place', () => {
    const a = processEc2TokenBucket({ ratePerSecond: 12, burst: 18 });
    const b = processEc2TokenBucket({ ratePerSecond: 5, burst: 7 });
    assert.equal(a, b);
    assert.equal(a.ratePerSecond, 5);
    assert.equal(a.burst, 7);
  });
});

test('property: over any run, tokens granted never exceed burst + rate x elapsed (seeded)', async () => {
  const { createPrng } = await import('../ec2sim/prng.ts');
  for (let seed = 1; seed <= 20; seed++) {
    const rng = createPrng(seed);
    const rate = 1 + rng.int(50);
    const burst = 1 + rng.int(20);
    let now = 0;
    const clock: BucketClock = { monotonic: () => now, sleep: async (ms) => void (now += ms) };
    const bucket = new TokenBucket({ ratePerSecond: rate, burst, clock });
    let granted = 0;
    for (let step = 0; step < 300; step++) {
      const r = rng.int(3);
      if (r === 0) now += rng.int(200);
      else if (r === 1 && bucket.tryTake()) granted++;
      else if (r === 2) {
        await bucket.take();
        granted++;
      }
      assert.ok(bucket.available <= burst + 1e-9, `seed ${seed}: ${bucket.available} tokens above burst ${burst}`);
      assert.ok(granted <= burst + (rate * now) / 1000 + 1e-6, `seed ${seed} step ${step}: ${granted} granted by ${now} ms at ${rate}/s burst ${burst}`);
    }
  }
});
