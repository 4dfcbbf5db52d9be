import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenBucket } from './token-bucket.ts';

test('burst passes at once, then callers are spaced at 1/qps, in arrival order', async () => {
  let t = 0;
  const slept: number[] = [];
  const bucket = createTokenBucket({ qps: 10, burst: 2, now: () => t, sleep: async (ms) => { slept.push(ms); t += ms; } });
  const order: number[] = [];
  await Promise.all([0, 1, 2, 3].map((i) => bucket.take().then(() => order.push(i))));
  assert.deepEqual(order, [0, 1, 2, 3]);
  assert.equal(slept.length, 2);
  for (const ms of slept) assert.ok(Math.abs(ms - 100) < 1e-6, `slept ${ms}`);
});

test('tokens refill over time up to the burst', () => {
  let t = 0;
  const bucket = createTokenBucket({ qps: 2, burst: 4, now: () => t });
  void bucket.take();
  t = 100_000;
  assert.equal(bucket.available(), 4);
  assert.throws(() => createTokenBucket({ qps: 0 }), /qps must be > 0/);
});
