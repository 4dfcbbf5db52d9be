/**
 * The reflector's decisions, every state against every event, with no I/O and no clock: time and
 * the jitter draw are values passed to each step.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffMs,
  INITIAL_REFLECTOR_STATE,
  isSynced,
  stepReflector,
  watchTimeoutSeconds,
  type ReflectorAction,
  type ReflectorEvent,
  type ReflectorState,
  type ReflectorTiming,
} from './reflector-machine.ts';

const TIMING: ReflectorTiming = { backoff: { initialMs: 100, maxMs: 1_000 }, minHealthyWatchMs: 50 };
const AT = { now: 10_000, random: 0.5 };
const step = (s: ReflectorState, e: ReflectorEvent, input = AT) => stepReflector(s, e, input, TIMING);
const kinds = (actions: ReflectorAction[]) => actions.map((a) => a.type);
const waitOf = (actions: ReflectorAction[]) => actions.find((a) => a.type === 'wait') as { ms: number } | undefined;

const STATES: Record<string, ReflectorState> = {
  idle: INITIAL_REFLECTOR_STATE,
  'listing (first)': { phase: 'listing', failures: 0, synced: false },
  'listing (relist after 3 failures)': { phase: 'listing', failures: 3, synced: true },
  watching: { phase: 'watching', failures: 2, synced: true, startedAt: 9_000 },
  'watching (just started)': { phase: 'watching', failures: 2, synced: true, startedAt: 9_990 },
  'waiting to list': { phase: 'waiting', failures: 1, synced: false, then: 'list' },
  'waiting to watch': { phase: 'waiting', failures: 1, synced: true, then: 'watch' },
  stopped: { phase: 'stopped', synced: true },
};

const EVENTS: Record<string, ReflectorEvent> = {
  start: { type: 'start' },
  listed: { type: 'listed' },
  'list failed': { type: 'list-failed', error: new Error('boom') },
  'watch closed after events': { type: 'watch-ended', end: { kind: 'closed', delivered: true } },
  'watch closed, nothing delivered': { type: 'watch-ended', end: { kind: 'closed', delivered: false } },
  'watch gone (410)': { type: 'watch-ended', end: { kind: 'gone' } },
  'watch error after events': { type: 'watch-ended', end: { kind: 'error', error: new Error('500'), delivered: true } },
  'watch error, nothing delivered': { type: 'watch-ended', end: { kind: 'error', error: new Error('500'), delivered: false } },
  'wait over': { type: 'wait-over' },
  stop: { type: 'stop' },
};

/** The events each phase acts on; every other (state, event) pair must change nothing. */
const HANDLED: Record<ReflectorState['phase'], Array<ReflectorEvent['type']>> = {
  idle: ['start', 'stop'],
  listing: ['listed', 'list-failed', 'stop'],
  watching: ['watch-ended', 'stop'],
  waiting: ['wait-over', 'stop'],
  stopped: [],
};

describe('every state against every event', () => {
  for (const [stateName, state] of Object.entries(STATES)) {
    for (const [eventName, event] of Object.entries(EVENTS)) {
      test(`${stateName} + ${eventName}`, () => {
        const { state: next, actions } = step(state, event);
        if (event.type === 'stop') {
          assert.deepEqual(next, { phase: 'stopped', synced: isSynced(state) });
          assert.deepEqual(actions, [], 'stopping cancels; it starts nothing');
          return;
        }
        if (!HANDLED[state.phase].includes(event.type)) {
          assert.equal(next, state, 'ignored: an answer that no longer matters (late, or after stop) changes nothing');
          assert.deepEqual(actions, []);
          return;
        }
        assertHandled(state, event, next, actions);
      });
    }
  }
});

function assertHandled(state: ReflectorState, event: ReflectorEvent, next: ReflectorState, actions: ReflectorAction[]): void {
  const failures = 'failures' in state ? state.failures : 0;
  const synced = isSynced(state);
  switch (event.type) {
    case 'start':
      assert.deepEqual(next, { phase: 'listing', failures: 0, synced: false });
      assert.deepEqual(actions, [{ type: 'list' }]);
      return;
    case 'listed':
      assert.deepEqual(next, { phase: 'watching', failures, synced: true, startedAt: AT.now });
      assert.deepEqual(kinds(actions), synced ? ['replace-cache', 'watch'] : ['replace-cache', 'announce-synced', 'watch'], 'synced is announced once');
      return;
    case 'list-failed':
      assert.deepEqual(next, { phase: 'waiting', failures: failures + 1, synced, then: 'list' });
      assert.deepEqual(kinds(actions), ['log', 'wait']);
      assert.equal(waitOf(actions)!.ms, backoffMs(failures, AT.random, TIMING));
      return;
    case 'wait-over': {
      const then = (state as { then: 'list' | 'watch' }).then;
      if (then === 'list') {
        assert.deepEqual(next, { phase: 'listing', failures, synced });
        assert.deepEqual(actions, [{ type: 'list' }]);
      } else {
        assert.deepEqual(next, { phase: 'watching', failures, synced, startedAt: AT.now });
        assert.deepEqual(actions, [{ type: 'watch', timeoutSeconds: watchTimeoutSeconds(AT.random) }]);
      }
      return;
    }
    case 'watch-ended': {
      const end = event.end;
      const startedAt = (state as { startedAt: number }).startedAt;
      const healthy = end.kind !== 'gone' && (end.delivered || AT.now - startedAt >= TIMING.minHealthyWatchMs);
      if (end.kind === 'gone') {
        assert.deepEqual(next, { phase: 'listing', failures, synced }, '410: relist at once, failures kept');
        assert.deepEqual(kinds(actions), ['log', 'list']);
      } else if (end.kind === 'closed' && healthy) {
        assert.deepEqual(next, { phase: 'watching', failures: 0, synced, startedAt: AT.now }, 'a healthy watch forgets failures');
        assert.deepEqual(kinds(actions), ['watch']);
      } else if (end.kind === 'closed') {
        assert.deepEqual(next, { phase: 'waiting', failures: failures + 1, synced, then: 'watch' }, 'closed at once: rewatch after a backoff');
        assert.equal(waitOf(actions)!.ms, backoffMs(failures, AT.random, TIMING));
      } else {
        const counted = healthy ? 0 : failures;
        assert.deepEqual(next, { phase: 'waiting', failures: counted + 1, synced, then: 'list' }, 'error: relist after a backoff');
        assert.deepEqual(kinds(actions), ['log', 'wait']);
        assert.equal(waitOf(actions)!.ms, backoffMs(counted, AT.random, TIMING));
      }
      return;
    }
    case 'stop':
      return;
  }
}

describe('timing', () => {
  test('backoff doubles per failure up to the maximum, each wait from the upper half', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 10].map((f) => backoffMs(f, 0, TIMING)), [50, 100, 200, 400, 500, 500]);
    assert.deepEqual([0, 1, 2, 3, 4, 10].map((f) => backoffMs(f, 0.999999, TIMING)).map(Math.round), [100, 200, 400, 800, 1_000, 1_000]);
    assert.equal(backoffMs(1_000, 0.5, TIMING), 750, 'no overflow after many failures');
  });

  test('watches rotate after 5 to 10 minutes', () => {
    assert.equal(watchTimeoutSeconds(0), 300);
    assert.equal(watchTimeoutSeconds(0.999999), 599);
  });

  test('a watch is healthy once it lasted minHealthyWatchMs, even with nothing delivered', () => {
    const watching: ReflectorState = { phase: 'watching', failures: 4, synced: true, startedAt: 0 };
    const closed: ReflectorEvent = { type: 'watch-ended', end: { kind: 'closed', delivered: false } };
    assert.equal(step(watching, closed, { now: 49, random: 0 }).state.phase, 'waiting');
    assert.deepEqual(step(watching, closed, { now: 50, random: 0 }).state, { phase: 'watching', failures: 0, synced: true, startedAt: 50 });
  });
});

test('a history: list fails twice, succeeds, the watch errors at once, relist, 410, relist, quiet close', () => {
  let s = INITIAL_REFLECTOR_STATE;
  const waits: number[] = [];
  const seen: string[] = [];
  const feed = (e: ReflectorEvent, now: number) => {
    const r = step(s, e, { now, random: 0 });
    s = r.state;
    for (const a of r.actions) {
      if (a.type === 'wait') waits.push(a.ms);
      if (a.type !== 'log') seen.push(a.type);
    }
  };
  feed({ type: 'start' }, 0);
  feed({ type: 'list-failed', error: 'x' }, 1);
  feed({ type: 'wait-over' }, 51);
  feed({ type: 'list-failed', error: 'x' }, 52);
  feed({ type: 'wait-over' }, 152);
  feed({ type: 'listed' }, 153);
  feed({ type: 'watch-ended', end: { kind: 'error', error: 'x', delivered: false } }, 160);
  feed({ type: 'wait-over' }, 360);
  feed({ type: 'listed' }, 361);
  feed({ type: 'watch-ended', end: { kind: 'gone' } }, 400);
  feed({ type: 'listed' }, 401);
  feed({ type: 'watch-ended', end: { kind: 'closed', delivered: false } }, 401 + 300_000);
  assert.deepEqual(waits, [50, 100, 200], 'the failures in a row add up across list and watch');
  assert.deepEqual(seen, ['list', 'wait', 'list', 'wait', 'list', 'replace-cache', 'announce-synced', 'watch', 'wait', 'list', 'replace-cache', 'watch', 'list', 'replace-cache', 'watch', 'watch']);
  assert.deepEqual(s, { phase: 'watching', failures: 0, synced: true, startedAt: 300_401 });
});
