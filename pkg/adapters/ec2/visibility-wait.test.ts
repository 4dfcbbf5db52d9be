import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Ec2AssignmentNotVisibleError, Ec2Error } from '../../core/ec2/errors.ts';
import { VISIBILITY_WAIT_DEFAULTS, waitUntilVisible } from './visibility-wait.ts';

/** The faked boundary is the describe call; the clock only records sleeps. */
function recorder(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

describe('waitUntilVisible', () => {
  test('returns at once when everything is visible on the first describe', async () => {
    const clock = recorder();
    const got = await waitUntilVisible({ networkInterfaceId: 'eni-1', assigned: ['a', 'b'], describe: async () => ['x', 'b', 'a'], clock });
    assert.deepEqual(got, ['a', 'b']);
    assert.deepEqual(clock.sleeps, []);
  });

  test('backs off 250 ms doubling until visible', async () => {
    const clock = recorder();
    let calls = 0;
    const got = await waitUntilVisible({
      networkInterfaceId: 'eni-1',
      assigned: ['a'],
      describe: async () => (++calls >= 4 ? ['a'] : []),
      clock,
    });
    assert.deepEqual(got, ['a']);
    assert.deepEqual(clock.sleeps, [250, 500, 1000]);
  });

  test('the default schedule is bounded: 6 describes, 7.75 s of sleeps, then the typed error with the visible part', async () => {
    const clock = recorder();
    let calls = 0;
    const err = await waitUntilVisible({
      networkInterfaceId: 'eni-1',
      assigned: ['a', 'b', 'c'],
      describe: async () => {
        calls++;
        return ['a'];
      },
      clock,
    }).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof Ec2AssignmentNotVisibleError);
    assert.ok(err instanceof Ec2Error, 'callers that only know Ec2Error must still catch it');
    assert.deepEqual([err.visible, err.missing, err.kind, err.code], [['a'], ['b', 'c'], 'other', 'WinprefixAssignmentNotVisible']);
    assert.equal(calls, 6);
    assert.deepEqual(clock.sleeps, [250, 500, 1000, 2000, 4000]);
    assert.ok(clock.sleeps.reduce((a, b) => a + b, 0) <= VISIBILITY_WAIT_DEFAULTS.maxTotalSleepMs);
  });

  test('a failing describe stops the wait, keeps what was seen, and carries the cause', async () => {
    const clock = recorder();
    let calls = 0;
    const cause = new Error('throttled');
    const err = await waitUntilVisible({
      networkInterfaceId: 'eni-1',
      assigned: ['a', 'b'],
      describe: async () => {
        if (++calls === 2) throw cause;
        return ['b'];
      },
      clock,
    }).catch((e: unknown) => e);
    assert.ok(err instanceof Ec2AssignmentNotVisibleError);
    assert.deepEqual([err.visible, err.missing, err.action], [['b'], ['a'], 'DescribeNetworkInterfaces']);
    assert.equal(err.cause, cause);
    assert.deepEqual(clock.sleeps, [250]);
  });
});
