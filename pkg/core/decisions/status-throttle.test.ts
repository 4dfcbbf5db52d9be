import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideStatusWrite, STATUS_SETTLE_MS } from './status-throttle.ts';

test('the first document is written at once; unchanged ones never', () => {
  assert.deepEqual(decideStatusWrite({ key: undefined, at: 0, text: undefined }, { key: 'a', current: undefined }, 1000, 5000), { write: true });
  assert.deepEqual(decideStatusWrite({ key: 'a', at: 1000, text: 'A' }, { key: 'a', current: 'A' }, 99_000, 5000), { write: false, retryInMs: undefined });
});

test('a change within the interval waits for the rest of it', () => {
  assert.deepEqual(decideStatusWrite({ key: 'a', at: 1000, text: 'A' }, { key: 'b', current: 'A' }, 2000, 5000), { write: false, retryInMs: 4000 });
  assert.deepEqual(decideStatusWrite({ key: 'a', at: 1000, text: 'A' }, { key: 'b', current: 'A' }, 6000, 5000), { write: true });
});

test('a node showing other text than was written (edited by hand) is rewritten once the cache had time to catch up', () => {
  const last = { key: 'a', at: 1000, text: 'A' };
  // Right after our write the cache may still show the old text: not an edit yet.
  assert.deepEqual(decideStatusWrite(last, { key: 'a', current: 'old' }, 1500, 0), { write: false, retryInMs: STATUS_SETTLE_MS - 500 });
  assert.deepEqual(decideStatusWrite(last, { key: 'a', current: 'garbage' }, 1000 + STATUS_SETTLE_MS, 0), { write: true });
  assert.deepEqual(decideStatusWrite(last, { key: 'a', current: undefined }, 1000 + STATUS_SETTLE_MS, 0), { write: true }, 'removed by hand');
  // The interval still bounds the rate.
  assert.deepEqual(decideStatusWrite(last, { key: 'a', current: 'garbage' }, 1000 + STATUS_SETTLE_MS, 10_000), { write: false, retryInMs: 10_000 - STATUS_SETTLE_MS });
});
