/**
 * Golden output of `subnets` at 100 columns for the four test worlds (with --map, and --headroom 100 so the
 * nearly full one has its finding), and every line within 80 and 160 columns, -o wide included. After
 * an intended change: UPDATE_GOLDEN=1 node --test this file, then read the diff.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PLAIN, RICH } from '../render/style.ts';
import { checkGolden, widestLine } from '../render/testing/golden.ts';
import { renderSubnets } from './render.ts';
import { reportFor } from './testing/reports.ts';
import { WORLDS } from './testing/worlds.ts';

const GOLDEN_DIR = new URL('./testing/golden/', import.meta.url);


describe('subnets: golden output that fits the terminal', () => {
  for (const make of WORLDS) {
    const w = make();
    const report = reportFor(w, { map: true, headroom: 100 });
    it(`${w.name} at 100 columns`, () => {
      const text = renderSubnets(report, { wide: false, style: PLAIN, width: 100 });
      checkGolden(GOLDEN_DIR, `${w.name}-100`, text, 100);
    });
    it(`${w.name} fits 80 and 160 columns, -o wide too, plain and in colour`, () => {
      for (const width of [80, 160]) {
        for (const wide of [false, true]) {
          for (const style of [PLAIN, RICH]) {
            const text = renderSubnets(report, { wide, style, width });
            assert.ok(widestLine(text) <= width, `${w.name}${wide ? ' -o wide' : ''} at ${width}: a line is ${widestLine(text)} columns wide`);
          }
        }
      }
    });
  }
});
