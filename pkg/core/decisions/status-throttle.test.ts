import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideStatusWrite } from './status-throttle.ts';

test('the first document is written at once; unchanged ones never', () => {
  assert.deepEqual(decideStatusWrite({ key: undefined, at: 0 }, 'a', 1000, 5000), { write: true });
  assert.deepEqual(decideStatusWrite({ key: 'a', at: 1000 }, 'a', 99_000, 5000), { write: false, retryInMs: undefined });
});

test('a change within the interval waits for the rest of it', () => {
  assert.deepEqual(decideStatusWrite({ key: 'a', at: 1000 }, 'b', 2000, 5000), { write: false, retryInMs: 4000 });
  assert.deepEqual(decideStatusWrite({ key: 'a', at: 1000 }, 'b', 6000, 5000), { write: true });
});
