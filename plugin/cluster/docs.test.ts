/**
 * docs/plugin-commands.md says what the code does: its field lists are the schemas the output is validated by,
 * and its example outputs are golden files the golden test renders (plugin/cluster/golden.test.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { describeClusterCheckSchema } from '../check/schema.ts';
import { describeNodeListSchema } from '../get-nodes/schema.ts';
import { describePodStorySchema } from '../why-pod/schema.ts';

const doc = readFileSync(new URL('../../docs/plugin-commands.md', import.meta.url), 'utf8');

describe('docs/plugin-commands.md', () => {
  for (const [name, lines] of [
    ['NODE_LIST_SCHEMA', describeNodeListSchema()],
    ['CLUSTER_CHECK_SCHEMA', describeClusterCheckSchema()],
    ['POD_STORY_SCHEMA', describePodStorySchema()],
  ] as const) {
    it(`lists the fields of ${name}`, () => {
      const block = new RegExp(`Printed from \`${name}\`[\\s\\S]*?\`\`\`text\\n([\\s\\S]*?)\\n\`\`\``).exec(doc)?.[1];
      assert.ok(block, `a text block after "Printed from \`${name}\`"`);
      assert.equal(block, lines.join('\n'), `regenerate the block from its describe...Schema()`);
    });
  }

  it('shows golden output as examples', () => {
    const examples = [...doc.matchAll(/<!-- golden: ([\w-]+) -->\n```text\n([\s\S]*?)\n```/g)];
    assert.ok(examples.length >= 3, `found ${examples.length}`);
    for (const [, name, shown] of examples) {
      const golden = readFileSync(new URL(`./testing/golden/${name}.txt`, import.meta.url), 'utf8');
      assert.equal(`${shown}\n`, golden, `the example ${name} is its golden file (copy it again after UPDATE_GOLDEN)`);
    }
  });
});
