import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmWriteConnections } from './warm-write-connections.ts';
import { ManualClock } from '../support/clock.ts';
import { createLogger } from '../support/log.ts';

const tick = () => new Promise((r) => setImmediate(r));

/**
 * A warm() whose rounds the test answers, a used() the test sets before each round (as the writes between two
 * rounds would), and a logger whose lines it reads.
 */
function harness(least: number, o: { most?: number; holdMs?: number } = {}) {
  const rounds: Array<{ count: number; answer: (n: number) => void; fail: (e: Error) => void }> = [];
  const lines: Array<Record<string, unknown>> = [];
  const clock = new ManualClock();
  const writes = { used: 0 };
  const warm = (n: number) =>
    new Promise<number>((resolve, reject) => {
      rounds.push({ count: n, answer: resolve, fail: reject });
    });
  const log = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), clock });
  const keeper = warmWriteConnections({ warm, used: () => writes.used, least, most: o.most ?? 32, everyMs: 45_000, holdMs: o.holdMs ?? 300_000, clock, log });
  return { rounds, lines, clock, keeper, writes };
}

/** Answers the round in flight in full, lets `used` connections carry writes, and runs the next round. */
async function nextRound(h: ReturnType<typeof harness>, used: number): Promise<number> {
  const last = h.rounds.at(-1)!;
  last.answer(last.count);
  await tick();
  h.writes.used = used;
  h.clock.advance(45_000);
  return h.rounds.at(-1)!.count;
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

test('least 0 turns keeping off', () => {
  const { rounds, clock, keeper } = harness(0);
  clock.advance(1_000_000);
  assert.equal(rounds.length, 0);
  keeper.stop();
});

test('keeps as many as the busiest stretch of the last holdMs used, at least `least`, at most `most`', async () => {
  const h = harness(8, { holdMs: 180_000 });
  assert.equal(h.rounds[0]!.count, 8, 'nothing used yet: the floor');
  assert.equal(await nextRound(h, 3), 8, 'fewer than the floor used: the floor');
  assert.equal(await nextRound(h, 19), 19, 'a burst opened 11 more: all 19 kept for the next one');
  assert.equal(await nextRound(h, 0), 19, 'quiet, within the hold');
  assert.equal(await nextRound(h, 12), 19, 'a smaller burst does not lower it');
  assert.equal(await nextRound(h, 0), 19, '135 s after the round that saw the burst: the last of the hold');
  assert.equal(await nextRound(h, 0), 8, '180 s after it: back to the floor');
  assert.equal(await nextRound(h, 40), 32, 'never more than `most`');
  const changes = h.lines.filter((l) => l.msg === 'write connections kept open').map((l) => [l.count, l.usedSinceLastRound]);
  assert.deepEqual(changes, [[19, 19], [8, 0], [32, 40]], 'a line each time the count changes, none in between');
  h.keeper.stop();
});

test('a burst as large as the busiest renews the hold: bursts every few minutes keep their connections', async () => {
  const h = harness(4, { holdMs: 180_000 });
  assert.equal(await nextRound(h, 10), 10);
  for (let i = 0; i < 2; i++) assert.equal(await nextRound(h, 0), 10);
  assert.equal(await nextRound(h, 10), 10, 'the same burst again just before the hold ends: held another 180 s');
  for (let i = 0; i < 3; i++) assert.equal(await nextRound(h, 0), 10);
  assert.equal(await nextRound(h, 0), 4);
  h.keeper.stop();
});
