import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './log.ts';

const fixed = { now: () => Date.parse('2026-11-22T01:00:00.000Z') };

test('one JSON object per line with time, level, message, bound and call fields', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', write: (l) => lines.push(l), clock: fixed }).child({ node: 'n1' });
  log.info('pool grown', { prefixes: 2 });
  log.child({ pod: 'default/p' }).warn('slow');
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [
    { time: '2026-11-22T01:00:00.000Z', level: 'info', msg: 'pool grown', node: 'n1', prefixes: 2 },
    { time: '2026-11-22T01:00:00.000Z', level: 'warn', msg: 'slow', node: 'n1', pod: 'default/p' },
  ]);
});

test('lines below the level are dropped', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'warn', write: (l) => lines.push(l), clock: fixed });
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  assert.deepEqual(lines.map((l) => JSON.parse(l).level), ['warn', 'error']);
});

test('errors keep name, message and code; cycles and BigInt never make logging throw', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (l) => lines.push(l), clock: fixed });
  const err = Object.assign(new Error('boom', { cause: new Error('root') }), { code: 'E_X' });
  log.error('failed', { err, n: 10n });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  log.info('cyclic', { cyclic });
  const first = JSON.parse(lines[0]!);
  assert.deepEqual(first.err, { name: 'Error', message: 'boom', code: 'E_X', cause: 'root' });
  assert.equal(first.n, '10');
  const second = JSON.parse(lines[1]!);
  assert.equal(second.msg, 'cyclic');
  assert.match(second.logError, /circular/i);
});

test('an unknown level is refused with the list of levels', () => {
  assert.throws(() => createLogger({ level: 'loud' as 'info' }), /debug, info, warn or error/);
});
