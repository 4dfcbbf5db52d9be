import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { describeNodeReportSchema } from './report.ts';

describe('NodeReport schema', () => {
  it('docs/describe-node.md lists exactly the schema the code validates', async () => {
    const doc = await readFile(new URL('../../docs/describe-node.md', import.meta.url), 'utf8');
    const block = /## Fields\n\n```text\n([\s\S]*?)\n```/.exec(doc)?.[1];
    assert.ok(block, 'docs/describe-node.md has a "## Fields" text block');
    assert.equal(block, describeNodeReportSchema().join('\n'), 'regenerate the block from describeNodeReportSchema()');
  });
});
