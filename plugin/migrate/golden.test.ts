/**
 * Golden output of `migrate --to prefix` at 100 columns for the switching world (every kind of node, two
 * budgets) and the tight subnet, and every line within 80 and 160 columns, -o wide included. After an
 * intended change: UPDATE_GOLDEN=1 node --test this file, then read the diff.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { World } from '../../pkg/ec2sim/world.ts';
import { PLAIN, RICH } from '../render/style.ts';
import { checkGolden, widestLine } from '../render/testing/golden.ts';
import { subnetRead } from '../subnets/testing/reports.ts';
import { windowsNodes, type PlanningWorld } from '../subnets/testing/worlds.ts';
import { planMigration } from './plan.ts';
import { renderPlan } from './render.ts';
import { switchingBudgets, switchingWorld, tightWorld } from './testing/worlds.ts';

const GOLDEN_DIR = new URL('./testing/golden/', import.meta.url);

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
      checkGolden(GOLDEN_DIR, `${w.name}-100`, text, 100);
    });
    it(`${w.name} fits 80 and 160 columns, -o wide too, plain and in colour`, () => {
      for (const width of [80, 160]) {
        for (const wide of [false, true]) {
          for (const style of [PLAIN, RICH]) {
            const text = renderPlan(plan, { wide, style, width });
            assert.ok(widestLine(text) <= width, `${wide ? '-o wide ' : ''}at ${width}: a line is ${widestLine(text)} columns wide`);
          }
        }
      }
    });
  }
});
