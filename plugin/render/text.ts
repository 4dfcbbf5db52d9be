/**
 * @module
 * Text for people, shared by every command: widths on the terminal, word wrapping, shortening with an
 * ellipsis, natural ordering (`p-2` before `p-10`) and counted nouns ("1 prefix", "2 prefixes",
 * "an m4.large"). Everything here works on plain text; styling is applied to finished lines, so no
 * escape code is ever split or counted.
 */

/** Columns `text` takes on a terminal. ANSI styling counts for nothing. */
export function displayWidth(text: string): number {
  let n = 0;
  for (const ch of text.replace(ANSI, '')) {
    const cp = ch.codePointAt(0)!;
    // Combining marks take no column; East Asian wide forms take two. The rest (box glyphs included) one.
    if (cp >= 0x300 && cp <= 0x36f) continue;
    n += isWide(cp) ? 2 : 1;
  }
  return n;
}

const ANSI = /\u001b\[[0-9;]*m/g;

function isWide(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0x1f300 && cp <= 0x1faff);
}

/**
 * Word-wraps plain text to `width` columns. A word longer than a line is cut where it can be (after
 * `/`, `-`, `,`, `.`, `=` or `:`), else at the width; nothing is ever dropped. Existing newlines are kept.
 */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, Math.floor(width));
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/ +/).filter((x) => x !== '')) {
      const candidate = line === '' ? word : `${line} ${word}`;
      if (displayWidth(candidate) <= w) {
        line = candidate;
        continue;
      }
      if (line !== '') out.push(line);
      line = '';
      let rest = word;
      while (displayWidth(rest) > w) {
        const cut = cutPoint(rest, w);
        out.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      line = rest;
    }
    out.push(line);
  }
  return out;
}

function cutPoint(word: string, width: number): number {
  const chars = [...word];
  let taken = 0;
  let columns = 0;
  let lastBreak = 0;
  for (const ch of chars) {
    const cw = displayWidth(ch);
    if (columns + cw > width) break;
    columns += cw;
    taken += ch.length;
    if ('/-,.=:'.includes(ch)) lastBreak = taken;
  }
  // Prefer a natural break unless it leaves most of the line empty.
  if (lastBreak > 0 && lastBreak >= taken / 2) return lastBreak;
  return Math.max(taken, chars[0]!.length);
}

/** Shortens to `width` columns with a trailing "…" (or "..." for ASCII output). */
export function truncate(text: string, width: number, ellipsis = '…'): string {
  if (displayWidth(text) <= width) return text;
  const room = Math.max(0, width - displayWidth(ellipsis));
  let out = '';
  for (const ch of text) {
    if (displayWidth(out + ch) > room) break;
    out += ch;
  }
  return `${out}${ellipsis}`;
}

/** Orders `p-2` before `p-10` and `10.0.0.9` before `10.0.0.10`: digit runs compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      // Equal values with different zero padding: the shorter text first, for a stable order.
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** "1 prefix", "2 prefixes", "0 pods". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/** "a m5.large" is wrong when read aloud: "an m4.large", "an r5.xlarge", "a c5.large". */
export function withArticle(word: string): string {
  // Letters whose name starts with a vowel sound when read one by one (instance families are spelt out).
  const vowelSound = /^(?:[aeio]|[fhlmnrsx](?=[0-9.-]))/i.test(word);
  return `${vowelSound ? 'an' : 'a'} ${word}`;
}
