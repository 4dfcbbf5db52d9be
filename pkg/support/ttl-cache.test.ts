import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TtlCache } from './ttl-cache.ts';

test('entries expire after their own TTL', () => {
  let now = 1_000;
  const c = new TtlCache<string, string>({ maxEntries: 10, now: () => now });
  c.set('long', 'a', 60_000);
  c.set('short', 'b', 10_000);
  now += 9_999;
  assert.equal(c.get('short'), 'b');
  now += 1;
  assert.equal(c.get('short'), undefined);
  assert.equal(c.get('long'), 'a');
  now += 50_000;
  assert.equal(c.get('long'), undefined);
  assert.equal(c.size, 0, 'expired entries are dropped when looked up');
});

test('the least recently used entry goes when the cache is full', () => {
  const c = new TtlCache<number, number>({ maxEntries: 3, now: () => 0 });
  c.set(1, 1, 1000);
  c.set(2, 2, 1000);
  c.set(3, 3, 1000);
  assert.equal(c.get(1), 1);
  c.set(4, 4, 1000);
  assert.equal(c.size, 3);
  assert.equal(c.get(2), undefined, 'key 2 was the least recently used');
  assert.deepEqual([c.get(1), c.get(3), c.get(4)], [1, 3, 4]);
  for (let i = 0; i < 10_000; i++) c.set(100 + i, i, 1000);
  assert.equal(c.size, 3, 'bounded whatever the number of distinct keys');
});

test('a TTL of zero stores nothing; a bad size is refused', () => {
  const c = new TtlCache<string, string>({ maxEntries: 1, now: () => 0 });
  c.set('k', 'v', 0);
  assert.equal(c.get('k'), undefined);
  assert.throws(() => new TtlCache({ maxEntries: 0, now: () => 0 }), /at least 1/);
});
