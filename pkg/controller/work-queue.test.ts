import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedQueue } from './work-queue.ts';
import { ManualClock } from '../support/clock.ts';

/** A reconcile whose runs finish only when the test says so. */
function controlledRuns() {
  const runs: Array<{ key: string; finish: (v?: { requeueAfterMs?: number }) => void; fail: (e: Error) => void }> = [];
  const reconcile = (key: string) =>
    new Promise<{ requeueAfterMs?: number } | void>((resolve, reject) => {
      runs.push({ key, finish: (v) => resolve(v), fail: reject });
    });
  return { runs, reconcile };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a key added while it runs is run again afterwards, never twice at once', async () => {
  const { runs, reconcile } = controlledRuns();
  const q = new KeyedQueue<string>({ reconcile, concurrency: 4, clock: new ManualClock() });
  q.add('n1');
  q.add('n1');
  assert.equal(runs.length, 1);
  q.add('n1');
  q.add('n1');
  assert.equal(runs.length, 1, 'still one run in progress');
  runs[0]!.finish();
  await tick();
  assert.equal(runs.length, 2, 'the dirty key ran once more');
  runs[1]!.finish();
  await q.whenIdle();
  assert.equal(runs.length, 2);
});

test('different keys run in parallel up to the concurrency limit, in arrival order', async () => {
  const { runs, reconcile } = controlledRuns();
  const q = new KeyedQueue<string>({ reconcile, concurrency: 2, clock: new ManualClock() });
  for (const k of ['a', 'b', 'c', 'd']) q.add(k);
  assert.deepEqual(runs.map((r) => r.key), ['a', 'b']);
  assert.equal(q.depth, 2);
  runs[1]!.finish();
  await tick();
  assert.deepEqual(runs.map((r) => r.key), ['a', 'b', 'c']);
  runs[0]!.finish();
  runs[2]!.finish();
  await tick();
  runs[3]!.finish();
  await q.whenIdle();
  assert.deepEqual(runs.map((r) => r.key), ['a', 'b', 'c', 'd']);
});

test('failures back off exponentially and a success forgets them', async () => {
  const clock = new ManualClock();
  const { runs, reconcile } = controlledRuns();
  const delays: number[] = [];
  const q = new KeyedQueue<string>({
    reconcile,
    concurrency: 1,
    clock,
    retry: { baseMs: 100, maxMs: 350 },
    onError: (_k, _e, ms) => delays.push(ms),
  });
  q.add('n');
  for (let i = 0; i < 4; i++) {
    runs[i]!.fail(new Error('boom'));
    await tick();
    clock.advance(delays[i]! - 1);
    assert.equal(runs.length, i + 1, 'not before the backoff');
    clock.advance(1);
    assert.equal(runs.length, i + 2);
  }
  assert.deepEqual(delays, [100, 200, 350, 350]);
  assert.equal(q.failuresOf('n'), 4);
  runs[4]!.finish();
  await tick();
  assert.equal(q.failuresOf('n'), 0);
});

test('requeueAfter wakes the key later; the earliest wake-up wins; a run supersedes older wake-ups', async () => {
  const clock = new ManualClock();
  const { runs, reconcile } = controlledRuns();
  const q = new KeyedQueue<string>({ reconcile, concurrency: 1, clock });
  q.addAfter('n', 1000);
  q.addAfter('n', 300);
  q.addAfter('n', 2000);
  clock.advance(299);
  assert.equal(runs.length, 0);
  clock.advance(1);
  assert.equal(runs.length, 1);
  runs[0]!.finish({ requeueAfterMs: 500 });
  await tick();
  clock.advance(1000);
  assert.equal(runs.length, 2, 'only the requested wake-up fired; the 1000 and 2000 ones were superseded');
  runs[1]!.finish();
  await tick();
  assert.equal(clock.pendingTimers(), 0);
});

test('forget drops pending work and stop waits for runs in progress', async () => {
  const clock = new ManualClock();
  const { runs, reconcile } = controlledRuns();
  const q = new KeyedQueue<string>({ reconcile, concurrency: 1, clock });
  q.add('a');
  q.add('b');
  q.addAfter('c', 10);
  q.forget('b');
  q.forget('c');
  let stopped = false;
  const stopping = q.stop().then(() => { stopped = true; });
  await tick();
  assert.equal(stopped, false);
  runs[0]!.finish();
  await stopping;
  clock.advance(100);
  q.add('d');
  assert.deepEqual(runs.map((r) => r.key), ['a']);
});

test('a reconcile that throws synchronously is treated as a failure', async () => {
  const clock = new ManualClock();
  let calls = 0;
  const q = new KeyedQueue<string>({
    reconcile: () => { calls++; throw new Error('sync'); },
    concurrency: 1,
    clock,
    retry: { baseMs: 10, maxMs: 10 },
  });
  q.add('x');
  await tick();
  assert.equal(q.failuresOf('x'), 1);
  clock.advance(10);
  await tick();
  assert.equal(calls, 2);
  await q.stop();
});
