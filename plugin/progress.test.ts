import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, SLOW_AFTER_MS } from './progress.ts';

test('a slow request: one line at 2 s naming what and where and how to bound it, then one every 10 s; none once it ends', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const lines: string[] = [];
  const progress = createProgress({ stderr: (text) => lines.push(text), boundedBy: '--request-timeout 3s bounds the wait' });
  const done = progress.track('EC2 DescribeNetworkInterfaces', 'http://127.0.0.1:4566, us-west-2');
  t.mock.timers.tick(SLOW_AFTER_MS - 1);
  assert.deepEqual(lines, []);
  t.mock.timers.tick(1);
  assert.deepEqual(lines, ['waiting for EC2 DescribeNetworkInterfaces (http://127.0.0.1:4566, us-west-2) for 2s ... --request-timeout 3s bounds the wait\n']);
  t.mock.timers.tick(10_000);
  assert.equal(lines[1], 'still waiting for EC2 DescribeNetworkInterfaces (12s)\n');
  done();
  t.mock.timers.tick(60_000);
  assert.equal(lines.length, 2);
});
