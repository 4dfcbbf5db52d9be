import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, DurationError } from './duration.ts';

test('durations in Kubernetes notation and bare seconds', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('1.5'), 1_500);
  assert.equal(parseDuration(2), 2_000);
});

test('garbage is refused with the flag name', () => {
  assert.throws(() => parseDuration('soon', 'cool-down'), (e: unknown) => e instanceof DurationError && /--cool-down/.test(e.message));
  assert.throws(() => parseDuration('5x'), DurationError);
  assert.throws(() => parseDuration(-1), DurationError);
});
