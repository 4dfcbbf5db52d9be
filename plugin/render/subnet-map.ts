/**
 * @module
 * The map of a subnet, 16 cells per /28 block, one per address: as many blocks per line as fit the width,
 * a power of two so each line is an aligned range and starts at a round address. Runs of lines that are all
 * one state (a free /22, a reservation nobody uses) fold into one line saying so, unless `wide`.
 *
 * Plain output uses the characters of the JSON map (`#` used, `w` Windows nodes, `.` free, `x` reserved,
 * `p` kept for prefixes); a terminal gets glyphs and colour (`■` used, green `■` Windows nodes, `□` free,
 * `×` reserved, yellow `□` kept for prefixes).
 */
import { formatIPv4, parseCidr } from '../../pkg/core/net/ipv4.ts';
import type { Style } from './style.ts';
import { hanging } from './blocks.ts';
import { displayWidth } from './text.ts';

export interface MapBlock {
  cidr: string;
  /** 16 characters of `# w . x p`. */
  cells: string;
}

const NAMES: Record<string, string> = { '#': 'used', w: 'Windows nodes', '.': 'free', x: 'reserved', p: 'kept for prefixes' };
const BLOCK_WIDTH = 16;
/** A run of this many uniform lines or more folds into one. */
const FOLD_AT = 3;

function glyph(ch: string, style: Style): string {
  if (!style.rich) return ch;
  switch (ch) {
    case '#':
      return '■';
    case 'w':
      return style.green('■');
    case '.':
      return style.dim('□');
    case 'x':
      return style.dim('×');
    case 'p':
      return style.yellow('□');
    default:
      return ch;
  }
}

/** Lines (each ending in "\n") that fit `width`, indented by `indent`. */
export function renderSubnetMap(blocks: readonly MapBlock[], o: { width: number; style: Style; wide: boolean; indent?: string }): string {
  if (blocks.length === 0) return '';
  const indent = o.indent ?? '  ';
  const starts = blocks.map((b) => b.cidr.split('/')[0]!);
  const labelWidth = Math.max(...starts.map((s) => s.length));
  const room = o.width - displayWidth(indent) - labelWidth - 2;
  let perLine = 1;
  while (perLine * 2 * (BLOCK_WIDTH + 1) - 1 <= room && perLine * 2 <= blocks.length) perLine *= 2;
  const lines: Array<{ start: string; end: string; blocks: MapBlock[]; uniform: string | null }> = [];
  for (let i = 0; i < blocks.length; i += perLine) {
    const group = blocks.slice(i, i + perLine);
    const all = group.map((b) => b.cells).join('');
    const last = parseCidr(group.at(-1)!.cidr);
    lines.push({ start: starts[i]!, end: formatIPv4(last.base + BLOCK_WIDTH - 1), blocks: group, uniform: /^(.)\1*$/.test(all) ? all[0]! : null });
  }
  const out: string[] = [];
  const row = (l: (typeof lines)[number]) => `${indent}${l.start.padEnd(labelWidth)}  ${l.blocks.map((b) => [...b.cells].map((c) => glyph(c, o.style)).join('')).join(' ')}`;
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (!o.wide && lines[i]!.uniform !== null && j + 1 < lines.length && lines[j + 1]!.uniform === lines[i]!.uniform) j++;
    if (j - i + 1 >= FOLD_AT) {
      const n = lines.slice(i, j + 1).reduce((sum, l) => sum + l.blocks.length, 0);
      const first = `${indent}${lines[i]!.start.padEnd(labelWidth)}  `;
      const text = `.. ${lines[j]!.end}: ${n} blocks, all ${NAMES[lines[i]!.uniform!] ?? lines[i]!.uniform}`;
      out.push(hanging(first, text, { width: o.width, hang: displayWidth(first), paint: o.style.dim }).trimEnd());
      i = j + 1;
    } else {
      out.push(row(lines[i]!));
      i++;
    }
  }
  return `${out.join('\n')}\n`;
}

/** The legend under a map. */
export function subnetMapLegend(style: Style): string {
  return Object.entries(NAMES)
    .map(([ch, name]) => `${glyph(ch, style)} ${name}`)
    .join('   ');
}
