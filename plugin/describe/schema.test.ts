import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { describeSchema, validateAgainst, type Shape } from './schema.ts';

describe('NodeReport schema', () => {
  it('docs/describe-node.md lists exactly the schema the code validates', async () => {
    const doc = await readFile(new URL('../../docs/describe-node.md', import.meta.url), 'utf8');
    const block = /## Fields\n\n```text\n([\s\S]*?)\n```/.exec(doc)?.[1];
    assert.ok(block, 'docs/describe-node.md has a "## Fields" text block');
    assert.equal(block, describeSchema().join('\n'), 'regenerate the block from describeSchema()');
  });

  it('the validator checks types, enums, nullables, lengths and tagged unions', () => {
    const shape: Shape = {
      t: 'object',
      fields: {
        n: { t: 'integer' },
        e: { t: 'enum', values: ['a', 'b'] },
        maybe: { t: 'nullable', of: { t: 'string' } },
        four: { t: 'array', of: { t: 'boolean' }, length: 2 },
        u: { t: 'union', tag: 'kind', variants: { x: { id: { t: 'string' } }, y: {} } },
      },
    };
    assert.deepEqual(validateAgainst(shape, { n: 1, e: 'a', maybe: null, four: [true, false], u: { kind: 'y' } }), []);
    assert.deepEqual(validateAgainst(shape, { n: 1.5, e: 'c', maybe: 3, four: [1], u: { kind: 'x' } }), [
      '$.n: expected an integer, got number',
      '$.e: expected one of a, b, got "c"',
      '$.maybe: expected a string, got number',
      '$.four[0]: expected a boolean, got number',
      '$.four: expected 2 items, got 1',
      '$.u.id: missing',
    ]);
    assert.deepEqual(validateAgainst(shape, []), ['$: expected an object, got an array']);
  });
});
