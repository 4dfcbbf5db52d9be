/**
 * Golden output of `subnets` at 100 columns for the four test worlds (with --map, and --headroom 100 so the
 * nearly full one has its finding), and every line within 80 and 160 columns, -o wide included. After
 * an intended change: UPDATE_GOLDEN=1 node --test this file, then read the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PLAIN, RICH, stripStyle } from '../render/style.ts';
import { displayWidth } from '../render/text.ts';
import { renderSubnets } from './render.ts';
import { reportFor } from './testing/reports.ts';
import { WORLDS } from './testing/worlds.ts';

const GOLDEN_DIR = new URL('./testing/golden/', import.meta.url);

function widest(text: string): number {
  return Math.max(...text.split('\n').map((l) => displayWidth(stripStyle(l))));
}

describe('subnets: golden output that fits the terminal', () => {
  for (const make of WORLDS) {
    const w = make();
    const report = reportFor(w, { map: true, headroom: 100 });
    it(`${w.name} at 100 columns`, () => {
      const text = renderSubnets(report, { wide: false, style: PLAIN, width: 100 });
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
            const text = renderSubnets(report, { wide, style, width });
            assert.ok(widest(text) <= width, `${w.name}${wide ? ' -o wide' : ''} at ${width}: a line is ${widest(text)} columns wide`);
          }
        }
      }
    });
  }
});
