/**
 * @module
 * waitFor's contract: returns the first defined value, and a timeout names what was awaited and the last error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, WaitTimeoutError } from './wait.ts';

test('waitFor returns the first defined value', async () => {
  let calls = 0;
  const value = await waitFor('the third call', async () => (++calls >= 3 ? `call ${calls}` : undefined), { intervalMs: 1 });
  assert.equal(value, 'call 3');
  assert.equal(calls, 3);
});

test('waitFor treats falsy values other than undefined as done', async () => {
  assert.equal(await waitFor('zero', async () => 0), 0);
  assert.equal(await waitFor('false', async () => false), false);
});

test('a timeout names what was awaited and the last error', async () => {
  const err = await waitFor('the node to turn Ready', async () => {
    throw new Error('HTTP 404 nodes "n1" not found');
  }, { timeoutMs: 50, intervalMs: 10 }).catch((e: unknown) => e);
  assert.ok(err instanceof WaitTimeoutError);
  assert.match(err.message, /waiting for the node to turn Ready/);
  assert.match(err.message, /nodes "n1" not found/);
  assert.match(err.message, /after 50 ms/);
});

test('a timeout on an unmet condition says so', async () => {
  const err = await waitFor('an annotation', async () => undefined, { timeoutMs: 30, intervalMs: 5 }).catch((e: unknown) => e);
  assert.ok(err instanceof WaitTimeoutError);
  assert.match(err.message, /an annotation: the condition was still unmet/);
});
