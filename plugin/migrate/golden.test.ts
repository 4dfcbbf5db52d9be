/**
 * Golden output of `migrate --to prefix` at 100 columns for the switching world (every kind of node, two
 * budgets) and the tight subnet, and every line within 80 and 160 columns, -o wide included. After an
 * intended change: UPDATE_GOLDEN=1 node --test this file, then read the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { World } from '../../pkg/ec2sim/world.ts';
import { PLAIN, RICH, stripStyle } from '../render/style.ts';
import { displayWidth } from '../render/text.ts';
import { subnetRead } from '../subnets/testing/reports.ts';
import { windowsNodes, type PlanningWorld } from '../subnets/testing/worlds.ts';
import { planMigration } from './plan.ts';
import { renderPlan } from './render.ts';
import { switchingBudgets, switchingWorld, tightWorld } from './testing/worlds.ts';

const GOLDEN_DIR = new URL('./testing/golden/', import.meta.url);
const widest = (text: string) => Math.max(...text.split('\n').map((l) => displayWidth(stripStyle(l))));

function planOf(w: PlanningWorld) {
  const world = new World(w.spec);
  return planMigration({
    now: new Date('2026-11-22T12:00:00Z'),
    to: 'prefix',
    selector: null,
    ec2: { region: 'us-west-2', endpoint: null, profile: null },
    configMap: { ref: 'kube-system/amazon-vpc-cni', data: { 'enable-windows-ipam': 'true' }, error: null },
    budgets: { items: switchingBudgets(), error: null },
    nodes: windowsNodes(w, world),
    subnets: [subnetRead(w, world)],
  });
}

describe('migrate: golden output that fits the terminal', () => {
  for (const w of [switchingWorld(), tightWorld()]) {
    const plan = planOf(w);
    it(`${w.name} at 100 columns`, () => {
      const text = renderPlan(plan, { wide: false, style: PLAIN, width: 100 });
      const file = new URL(`${w.name}-100.txt`, GOLDEN_DIR);
      assert.ok(widest(text) <= 100, `a line is ${widest(text)} columns wide`);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, text);
        if (process.env.UPDATE_GOLDEN !== '1') assert.fail(`${file.pathname} did not exist and was written: read it, then run again`);
        return;
      }
      assert.equal(text, readFileSync(file, 'utf8'), `${w.name} differs from its golden file (UPDATE_GOLDEN=1 to rewrite after an intended change)`);
    });
    it(`${w.name} fits 80 and 160 columns, -o wide too, plain and in colour`, () => {
      for (const width of [80, 160]) {
        for (const wide of [false, true]) {
          for (const style of [PLAIN, RICH]) {
            const text = renderPlan(plan, { wide, style, width });
            assert.ok(widest(text) <= width, `${wide ? '-o wide ' : ''}at ${width}: a line is ${widest(text)} columns wide`);
          }
        }
      }
    });
  }
});
