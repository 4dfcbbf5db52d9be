import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.ts';
import { driveMachine } from './state-machine.ts';

test('ManualClock: advance runs due timers in time order; skip moves time without running any', () => {
  const clock = new ManualClock(100);
  const ran: string[] = [];
  clock.after(30, () => ran.push(`b at ${clock.now()}`));
  clock.after(10, () => ran.push(`a at ${clock.now()}`));
  const cancelled = clock.after(20, () => ran.push('never'));
  cancelled.cancel();
  clock.advance(15);
  assert.deepEqual(ran, ['a at 110']);
  clock.skip(100); // a paused process: nothing runs while it is stopped
  assert.deepEqual([ran.length, clock.now(), clock.monotonic(), clock.pendingTimers()], [1, 215, 215, 1]);
  clock.advance(0); // it runs again: what fell due runs at once
  assert.deepEqual(ran, ['a at 110', 'b at 215']);
});

test('ManualClock: a sleep ends when time passes or its signal aborts; random hands out the values given, then 0.5', async () => {
  const clock = new ManualClock();
  let slept = false;
  const sleeping = clock.sleep(50).then(() => (slept = true));
  clock.advance(49);
  await Promise.resolve();
  assert.equal(slept, false);
  clock.advance(1);
  await sleeping;
  const stop = new AbortController();
  const cut = clock.sleep(1_000, stop.signal);
  stop.abort();
  await cut;
  assert.equal(clock.pendingTimers(), 0);
  clock.setRandom(0.1, 0.9);
  assert.deepEqual([clock.random(), clock.random(), clock.random()], [0.1, 0.9, 0.5]);
});

test('driveMachine: each step gets the clock\'s time and a draw; actions run in order and may dispatch again', () => {
  const clock = new ManualClock(7);
  clock.setRandom(0.25);
  const seen: string[] = [];
  const m = driveMachine<number, 'inc' | 'twice', string>({
    initial: 0,
    step: (state, event, inputs) => ({ state: state + 1, actions: event === 'twice' ? [`again at ${inputs.now}/${inputs.random}`, 'log'] : ['log'] }),
    clock,
    perform: (action) => {
      seen.push(`${action} in ${m.state()}`);
      if (action.startsWith('again')) m.dispatch('inc');
    },
  });
  m.dispatch('twice');
  assert.equal(m.state(), 2);
  assert.deepEqual(seen, ['again at 7/0.25 in 1', 'log in 2', 'log in 2']);
});
