/**
 * Golden-file checks for the plugin's human output, shared by every command's golden test. After an intended
 * change: UPDATE_GOLDEN=1 node --test the test file, then read the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stripStyle } from '../style.ts';
import { displayWidth } from '../text.ts';

/** The widest line of `text` in terminal columns, colour codes not counted. */
export function widestLine(text: string): number {
  return Math.max(...text.split('\n').map((l) => displayWidth(stripStyle(l))));
}

/**
 * `text` fits `width` columns and equals `<dir>/<name>.txt`. A missing file is written and the check fails, so
 * a new golden file is read before it is trusted.
 */
export function checkGolden(dir: URL, name: string, text: string, width: number): void {
  const widest = widestLine(text);
  assert.ok(widest <= width, `${name}: a line is ${widest} columns wide, more than ${width}`);
  const file = new URL(`${name}.txt`, dir);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    if (process.env.UPDATE_GOLDEN !== '1') assert.fail(`${file.pathname} did not exist and was written: read it, then run again`);
    return;
  }
  assert.equal(text, readFileSync(file, 'utf8'), `${name} differs from its golden file (UPDATE_GOLDEN=1 to rewrite after an intended change)`);
}
