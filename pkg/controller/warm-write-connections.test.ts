import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmWriteConnections } from './warm-write-connections.ts';
import { ManualClock } from '../support/clock.ts';
import { createLogger } from '../support/log.ts';

const tick = () => new Promise((r) => setImmediate(r));

/** A warm() whose rounds the test answers, and a logger whose lines it reads. */
function harness(count: number) {
  const rounds: Array<{ count: number; answer: (n: number) => void; fail: (e: Error) => void }> = [];
  const lines: Array<Record<string, unknown>> = [];
  const clock = new ManualClock();
  const warm = (n: number) =>
    new Promise<number>((resolve, reject) => {
      rounds.push({ count: n, answer: resolve, fail: reject });
    });
  const log = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), clock });
  const keeper = warmWriteConnections({ warm, count, everyMs: 45_000, clock, log });
  return { rounds, lines, clock, keeper };
}

test('warms at once, then again everyMs after each round ends, never two rounds at once', async () => {
  const { rounds, clock, keeper } = harness(8);
  assert.deepEqual(rounds.map((r) => r.count), [8], 'the first round goes out at start, for the first burst');
  clock.advance(100_000);
  assert.equal(rounds.length, 1, 'the next round waits for this one to end');
  rounds[0]!.answer(8);
  await tick();
  clock.advance(44_999);
  assert.equal(rounds.length, 1);
  clock.advance(1);
  assert.equal(rounds.length, 2);
  rounds[1]!.answer(8);
  await tick();
  clock.advance(45_000);
  assert.equal(rounds.length, 3);
  keeper.stop();
});

test('stop cancels the next round, also one that a round in flight would schedule', async () => {
  const a = harness(4);
  a.rounds[0]!.answer(4);
  await tick();
  a.keeper.stop();
  a.clock.advance(1_000_000);
  assert.equal(a.rounds.length, 1);

  const b = harness(4);
  b.keeper.stop();
  b.rounds[0]!.answer(4);
  await tick();
  b.clock.advance(1_000_000);
  assert.equal(b.rounds.length, 1);
});

test('a round with too few answers, or one that throws, is logged once per stretch and the rounds go on', async () => {
  const { rounds, lines, clock, keeper } = harness(8);
  rounds[0]!.answer(3);
  await tick();
  assert.deepEqual(lines.map((l) => [l.msg, l.asked, l.answered]), [['write connections not all kept open', 8, 3]]);
  clock.advance(45_000);
  rounds[1]!.fail(new Error('connection refused'));
  await tick();
  assert.equal(lines.length, 1, 'the same stretch: not said again');
  clock.advance(45_000);
  rounds[2]!.answer(8);
  await tick();
  clock.advance(45_000);
  rounds[3]!.answer(0);
  await tick();
  assert.deepEqual(lines.map((l) => l.answered), [3, 0], 'a new stretch after a full round is said again');
  assert.equal(rounds.length, 4);
  keeper.stop();
});

test('count 0 turns it off', () => {
  const { rounds, clock, keeper } = harness(0);
  clock.advance(1_000_000);
  assert.equal(rounds.length, 0);
  keeper.stop();
});
