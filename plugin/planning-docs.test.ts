/**
 * docs/planning.md shows what the code does: its two field listings are the schemas the output is
 * validated by, and its examples are the golden outputs the render tests keep.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { describeMigrationPlanSchema } from './migrate/report.ts';
import { describeSubnetReportSchema } from './subnets/report.ts';

const doc = readFileSync(new URL('../docs/planning.md', import.meta.url), 'utf8');

describe('docs/planning.md', () => {
  it('lists the fields of SUBNET_REPORT_SCHEMA and MIGRATION_PLAN_SCHEMA', () => {
    for (const [name, lines] of [
      ['SUBNET_REPORT_SCHEMA', describeSubnetReportSchema()],
      ['MIGRATION_PLAN_SCHEMA', describeMigrationPlanSchema()],
    ] as const) {
      const block = new RegExp(`Printed from \`${name}\`[\\s\\S]*?\`\`\`text\\n([\\s\\S]*?)\\n\`\`\``).exec(doc)?.[1];
      assert.ok(block, `docs/planning.md has the ${name} block`);
      assert.equal(block, lines.join('\n'), `regenerate the ${name} block from its describe function`);
    }
  });

  it('shows the golden outputs as they are', () => {
    const examples = [...doc.matchAll(/<!-- example: (\S+) -->\n```text\n([\s\S]*?)```/g)];
    assert.equal(examples.length, 2);
    for (const [, file, shown] of examples) {
      assert.equal(shown, readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'), `the example from ${file}`);
    }
  });
});
