/**
 * Leader election's decisions, every state against every event, and the write fence at the edges of
 * its validity window: no I/O, no clock, time is a number passed to each step.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  candidateWaitMs,
  INITIAL_ELECTION_STATE,
  mayWrite,
  stepElection,
  type ElectionAction,
  type ElectionEvent,
  type ElectionState,
  type ElectionTiming,
} from './leader-election-machine.ts';

const DEADLINE = 10_000;
const RETRY = 2_000;
const TIMING: ElectionTiming = { renewDeadlineMs: DEADLINE, retryPeriodMs: RETRY, releaseOnCancel: true };
const KEEP: ElectionTiming = { ...TIMING, releaseOnCancel: false };
const NOW = 100_000;
const at = (now = NOW, random = 0.5) => ({ now, random });
const types = (actions: ElectionAction[]) => actions.map((a) => a.type);

const STATES: Record<string, ElectionState> = {
  idle: INITIAL_ELECTION_STATE,
  acquiring: { phase: 'acquiring', sentAt: NOW - 50, cancelled: false },
  'acquiring, cancelled': { phase: 'acquiring', sentAt: NOW - 50, cancelled: true },
  candidate: { phase: 'candidate' },
  'leading, between renewals': { phase: 'leading', validFrom: NOW - 2_000, renewSentAt: undefined, cancelled: false },
  'leading, paused past the deadline': { phase: 'leading', validFrom: NOW - DEADLINE, renewSentAt: undefined, cancelled: false },
  'leading, renewing': { phase: 'leading', validFrom: NOW - 2_000, renewSentAt: NOW - 100, cancelled: false },
  'leading, renewing, too late': { phase: 'leading', validFrom: NOW - DEADLINE - 1, renewSentAt: NOW - 1_000, cancelled: false },
  'leading, renewing, cancelled': { phase: 'leading', validFrom: NOW - 2_000, renewSentAt: NOW - 100, cancelled: true },
  'leading, renewing too late, cancelled': { phase: 'leading', validFrom: NOW - DEADLINE, renewSentAt: NOW - 1_000, cancelled: true },
  'stepping down, stopped': { phase: 'stepping-down', reason: 'stopped', validFrom: NOW - 2_000 },
  'stepping down, lost': { phase: 'stepping-down', reason: 'lost', validFrom: NOW - DEADLINE },
  'releasing (led)': { phase: 'releasing', led: true },
  'releasing (never led)': { phase: 'releasing', led: false },
  done: { phase: 'done' },
};

const EVENTS: Record<string, ElectionEvent> = {
  start: { type: 'start' },
  'attempt took the Lease': { type: 'attempt-done', acquired: true },
  'attempt did not': { type: 'attempt-done', acquired: false },
  'wait over': { type: 'wait-over' },
  deadline: { type: 'deadline' },
  cancel: { type: 'cancel' },
  drained: { type: 'drained' },
  released: { type: 'released' },
};

/** What each (state, event) pair must give; a pair not listed changes nothing and does nothing. */
const EXPECTED: Record<string, { state: ElectionState; actions: string[] }> = {
  'idle + start': { state: { phase: 'acquiring', sentAt: NOW, cancelled: false }, actions: ['attempt'] },
  'idle + cancel': { state: { phase: 'done' }, actions: ['finish'] },
  'acquiring + attempt took the Lease': {
    state: { phase: 'leading', validFrom: NOW - 50, renewSentAt: undefined, cancelled: false },
    actions: ['log', 'start-leading', 'wait'],
  },
  'acquiring + attempt did not': { state: { phase: 'candidate' }, actions: ['wait'] },
  'acquiring + cancel': { state: { phase: 'acquiring', sentAt: NOW - 50, cancelled: true }, actions: [] },
  'acquiring, cancelled + attempt took the Lease': { state: { phase: 'releasing', led: false }, actions: ['release'] },
  'acquiring, cancelled + attempt did not': { state: { phase: 'done' }, actions: ['finish'] },
  'acquiring, cancelled + cancel': { state: { phase: 'acquiring', sentAt: NOW - 50, cancelled: true }, actions: [] },
  'candidate + wait over': { state: { phase: 'acquiring', sentAt: NOW, cancelled: false }, actions: ['attempt'] },
  'candidate + cancel': { state: { phase: 'done' }, actions: ['finish'] },
  'leading, between renewals + wait over': {
    state: { phase: 'leading', validFrom: NOW - 2_000, renewSentAt: NOW, cancelled: false },
    actions: ['attempt', 'deadline-after'],
  },
  'leading, between renewals + cancel': { state: { phase: 'stepping-down', reason: 'stopped', validFrom: NOW - 2_000 }, actions: ['end-leading', 'drain'] },
  'leading, paused past the deadline + wait over': { state: { phase: 'stepping-down', reason: 'lost', validFrom: NOW - DEADLINE }, actions: ['log', 'end-leading', 'drain'] },
  'leading, paused past the deadline + cancel': { state: { phase: 'stepping-down', reason: 'stopped', validFrom: NOW - DEADLINE }, actions: ['end-leading', 'drain'] },
  'leading, renewing + attempt took the Lease': { state: { phase: 'leading', validFrom: NOW - 100, renewSentAt: undefined, cancelled: false }, actions: ['wait'] },
  'leading, renewing + attempt did not': { state: { phase: 'leading', validFrom: NOW - 2_000, renewSentAt: undefined, cancelled: false }, actions: ['wait'] },
  'leading, renewing + deadline': { state: { phase: 'leading', validFrom: NOW - 2_000, renewSentAt: NOW - 100, cancelled: false }, actions: ['deadline-after'] },
  'leading, renewing + cancel': { state: { phase: 'leading', validFrom: NOW - 2_000, renewSentAt: NOW - 100, cancelled: true }, actions: [] },
  'leading, renewing, too late + attempt took the Lease': { state: { phase: 'stepping-down', reason: 'lost', validFrom: NOW - DEADLINE - 1 }, actions: ['log', 'end-leading', 'drain'] },
  'leading, renewing, too late + attempt did not': { state: { phase: 'stepping-down', reason: 'lost', validFrom: NOW - DEADLINE - 1 }, actions: ['log', 'end-leading', 'drain'] },
  'leading, renewing, too late + deadline': { state: { phase: 'stepping-down', reason: 'lost', validFrom: NOW - DEADLINE - 1 }, actions: ['log', 'end-leading', 'drain'] },
  'leading, renewing, too late + cancel': { state: { phase: 'leading', validFrom: NOW - DEADLINE - 1, renewSentAt: NOW - 1_000, cancelled: true }, actions: [] },
  'leading, renewing, cancelled + attempt took the Lease': { state: { phase: 'stepping-down', reason: 'stopped', validFrom: NOW - 100 }, actions: ['end-leading', 'drain'] },
  'leading, renewing, cancelled + attempt did not': { state: { phase: 'stepping-down', reason: 'stopped', validFrom: NOW - 2_000 }, actions: ['end-leading', 'drain'] },
  'leading, renewing, cancelled + deadline': { state: { phase: 'leading', validFrom: NOW - 2_000, renewSentAt: NOW - 100, cancelled: true }, actions: ['deadline-after'] },
  'leading, renewing, cancelled + cancel': { state: { phase: 'leading', validFrom: NOW - 2_000, renewSentAt: NOW - 100, cancelled: true }, actions: [] },
  'leading, renewing too late, cancelled + attempt took the Lease': { state: { phase: 'stepping-down', reason: 'stopped', validFrom: NOW - DEADLINE }, actions: ['end-leading', 'drain'] },
  'leading, renewing too late, cancelled + attempt did not': { state: { phase: 'stepping-down', reason: 'stopped', validFrom: NOW - DEADLINE }, actions: ['end-leading', 'drain'] },
  'leading, renewing too late, cancelled + deadline': { state: { phase: 'stepping-down', reason: 'stopped', validFrom: NOW - DEADLINE }, actions: ['end-leading', 'drain'] },
  'leading, renewing too late, cancelled + cancel': { state: { phase: 'leading', validFrom: NOW - DEADLINE, renewSentAt: NOW - 1_000, cancelled: true }, actions: [] },
  'stepping down, stopped + drained': { state: { phase: 'releasing', led: true }, actions: ['release'] },
  'stepping down, lost + drained': { state: { phase: 'done' }, actions: ['log', 'notify-stopped', 'finish'] },
  'releasing (led) + released': { state: { phase: 'done' }, actions: ['log', 'notify-stopped', 'finish'] },
  'releasing (never led) + released': { state: { phase: 'done' }, actions: ['finish'] },
};

describe('every state against every event', () => {
  for (const [stateName, state] of Object.entries(STATES)) {
    for (const [eventName, event] of Object.entries(EVENTS)) {
      const name = `${stateName} + ${eventName}`;
      test(name, () => {
        const step = stepElection(state, event, at(), TIMING);
        const expected = EXPECTED[name] ?? { state, actions: [] };
        assert.deepEqual(step.state, expected.state);
        assert.deepEqual(types(step.actions), expected.actions);
      });
    }
  }
  test('every listed pair exists', () => {
    for (const name of Object.keys(EXPECTED)) {
      const [s, e] = name.split(' + ') as [string, string];
      assert.ok(STATES[s] && EVENTS[e], name);
    }
  });
});

describe('timings the actions carry', () => {
  test('a candidate waits the retry period plus up to 20 %', () => {
    const wait = (random: number) => stepElection({ phase: 'acquiring', sentAt: 0, cancelled: false }, { type: 'attempt-done', acquired: false }, at(0, random), TIMING).actions[0];
    assert.deepEqual(wait(0), { type: 'wait', ms: RETRY });
    assert.deepEqual(wait(0.5), { type: 'wait', ms: 2_200 });
    assert.ok(candidateWaitMs(RETRY, 0.999999) < 2_400);
  });

  test('a leader waits exactly the retry period; a renewal races the rest of the validity window', () => {
    const leading: ElectionState = { phase: 'leading', validFrom: 1_000, renewSentAt: undefined, cancelled: false };
    const renew = stepElection(leading, { type: 'wait-over' }, at(3_100), TIMING);
    assert.deepEqual(renew.actions, [{ type: 'attempt' }, { type: 'deadline-after', ms: 1_000 + DEADLINE - 3_100 }]);
    const renewed = stepElection(renew.state, { type: 'attempt-done', acquired: true }, at(3_300), TIMING);
    assert.deepEqual(renewed.state, { phase: 'leading', validFrom: 3_100, renewSentAt: undefined, cancelled: false }, 'valid from when the renewal was sent, not answered');
    assert.deepEqual(renewed.actions, [{ type: 'wait', ms: RETRY }]);
  });

  test('without releaseOnCancel a stopped leader finishes after the drain, and a cancelled winner just finishes', () => {
    assert.deepEqual(types(stepElection({ phase: 'stepping-down', reason: 'stopped', validFrom: 0 }, { type: 'drained' }, at(), KEEP).actions), ['log', 'notify-stopped', 'finish']);
    assert.deepEqual(types(stepElection({ phase: 'acquiring', sentAt: 0, cancelled: true }, { type: 'attempt-done', acquired: true }, at(), KEEP).actions), ['finish']);
  });
});

describe('the write fence', () => {
  const validFrom = 50_000;
  const edges = [validFrom, validFrom + DEADLINE - 1, validFrom + DEADLINE, validFrom + DEADLINE + 1];
  test('leading: open exactly while now < the last successful send + the renew deadline', () => {
    for (const renewSentAt of [undefined, validFrom + 2_000]) {
      const s: ElectionState = { phase: 'leading', validFrom, renewSentAt, cancelled: false };
      assert.deepEqual(edges.map((t) => mayWrite(s, t, DEADLINE)), [true, true, false, false]);
    }
  });
  test('told to stop: still open while the Lease is valid, during the drain', () => {
    const s: ElectionState = { phase: 'stepping-down', reason: 'stopped', validFrom };
    assert.deepEqual(edges.map((t) => mayWrite(s, t, DEADLINE)), [true, true, false, false]);
  });
  test('lost: closed at once, whatever the clock says', () => {
    const s: ElectionState = { phase: 'stepping-down', reason: 'lost', validFrom };
    assert.deepEqual(edges.map((t) => mayWrite(s, t, DEADLINE)), [false, false, false, false]);
  });
  test('closed before leading, while releasing and after', () => {
    for (const s of [STATES.idle!, STATES.acquiring!, STATES.candidate!, STATES['releasing (led)']!, STATES.done!]) assert.equal(mayWrite(s, NOW, DEADLINE), false, s.phase);
  });
});
