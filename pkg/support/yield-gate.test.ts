import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.ts';
import { YieldGate } from './yield-gate.ts';

/** Lets resolved promises run their continuations. */
const settle = () => new Promise<void>((r) => setImmediate(r));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function tracked(p: Promise<void>): { done: () => boolean } {
  let done = false;
  void p.then(() => (done = true));
  return { done: () => done };
}

test('background goes at once when nothing urgent ran recently', async () => {
  const clock = new ManualClock(1000);
  const gate = new YieldGate({ clock, quietMs: 20, maxWaitMs: 1000 });
  const bg = tracked(gate.yielded());
  await settle();
  assert.ok(bg.done());
  assert.equal(clock.pendingTimers(), 0);
});

test('background waits for urgent work in flight and its quiet period', async () => {
  const clock = new ManualClock(1000);
  const gate = new YieldGate({ clock, quietMs: 20, maxWaitMs: 1000 });
  const patch = deferred();
  const urgent = gate.urgent(() => patch.promise);
  assert.equal(gate.running, 1);
  const bg = tracked(gate.yielded());
  clock.advance(500);
  await settle();
  assert.ok(!bg.done(), 'waits while the urgent write is in flight');
  patch.resolve();
  await urgent;
  assert.equal(gate.running, 0);
  clock.advance(19);
  await settle();
  assert.ok(!bg.done(), 'waits out the quiet period');
  clock.advance(1);
  await settle();
  assert.ok(bg.done());
});

test('a new urgent write inside the quiet period restarts it', async () => {
  const clock = new ManualClock(0);
  const gate = new YieldGate({ clock, quietMs: 20, maxWaitMs: 1000 });
  await gate.urgent(async () => {});
  const bg = tracked(gate.yielded());
  clock.advance(15);
  await gate.urgent(async () => {});
  clock.advance(15);
  await settle();
  assert.ok(!bg.done(), 'quiet for 15 ms only');
  clock.advance(5);
  await settle();
  assert.ok(bg.done());
});

test('under sustained urgent load the background stands aside maxWaitMs, then goes without waiting until it is quiet again', async () => {
  const clock = new ManualClock(0);
  const gate = new YieldGate({ clock, quietMs: 20, maxWaitMs: 300 });
  const forever = deferred();
  const urgent = gate.urgent(() => forever.promise);
  const first = tracked(gate.yielded());
  clock.advance(100);
  const second = tracked(gate.yielded());
  clock.advance(199);
  await settle();
  assert.ok(!first.done() && !second.done());
  clock.advance(1);
  await settle();
  assert.ok(first.done() && second.done(), '300 ms into the busy stretch both go');
  const later = tracked(gate.yielded());
  await settle();
  assert.ok(later.done(), 'one at a time, as the event recorder writes, they no longer wait');
  forever.resolve();
  await urgent;
  clock.advance(20);
  await gate.urgent(async () => {});
  const afterQuiet = tracked(gate.yielded());
  await settle();
  assert.ok(!afterQuiet.done(), 'quiet, then busy again: the background stands aside again');
  clock.advance(20);
  await settle();
  assert.ok(afterQuiet.done());
  assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
});

test('a failing urgent operation still ends', async () => {
  const clock = new ManualClock(0);
  const gate = new YieldGate({ clock, quietMs: 10, maxWaitMs: 1000 });
  await assert.rejects(gate.urgent(async () => {
    throw new Error('refused');
  }), /refused/);
  assert.equal(gate.running, 0);
  const bg = tracked(gate.yielded());
  clock.advance(10);
  await settle();
  assert.ok(bg.done());
});
