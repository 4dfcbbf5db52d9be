/**
 * The examples in docs/simulate.md are real: every block that starts with
 * `$ kubectl winprefix simulate ...` must be what the command prints (the block may leave out
 * the lines above the table).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { main } from '../main.ts';

const doc = readFileSync(new URL('../../docs/simulate.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```\n\$ kubectl winprefix (simulate [^\n]+)\n([\s\S]*?)```/g)];

test('docs/simulate.md has runnable examples', () => {
  assert.ok(blocks.length >= 3, `found ${blocks.length}`);
});

for (const [, command, shown] of blocks) {
  test(`docs example: ${command}`, async () => {
    let stdout = '';
    const code = await main(command!.split(/\s+/), {
      stdout: (t) => void (stdout += t),
      stderr: () => {},
      env: {},
      stdoutIsTTY: false,
      now: () => new Date(0),
    });
    assert.equal(code, 0);
    assert.ok(stdout.endsWith(shown!), `the docs show:\n${shown}\nthe command prints:\n${stdout}`);
  });
}

test('docs/simulate.md lists the fields of the schema the output is validated by', async () => {
  const { describeSimulationSchema } = await import('./schema.ts');
  const block = /printed from `SIMULATION_SCHEMA`[\s\S]*?```text\n([\s\S]*?)\n```/.exec(doc)?.[1];
  assert.ok(block, 'docs/simulate.md has the SIMULATION_SCHEMA text block');
  assert.equal(block, describeSimulationSchema().join('\n'), 'regenerate the block from describeSimulationSchema()');
});
