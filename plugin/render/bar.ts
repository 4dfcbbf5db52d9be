/**
 * @module
 * The 16-cell occupancy bar of a /28 prefix: `[■■■■■▨□□□□□□□□□□]` on a terminal,
 * `[#####~..........]` otherwise. One cell per address, in address order.
 */
import type { CellState } from '../describe/report.ts';
import type { Style } from './style.ts';

const GLYPHS: Record<'rich' | 'ascii', Record<CellState, string>> = {
  rich: { used: '■', cooling: '▨', free: '□' },
  ascii: { used: '#', cooling: '~', free: '.' },
};

export function occupancyBar(cells: readonly CellState[], style: Style): string {
  const glyphs = GLYPHS[style.rich ? 'rich' : 'ascii'];
  const paint = (c: CellState) => (c === 'used' ? style.green(glyphs.used) : c === 'cooling' ? style.yellow(glyphs.cooling) : style.dim(glyphs.free));
  return `[${cells.map(paint).join('')}]`;
}

/** The legend printed under the prefix table. */
export function barLegend(style: Style): string {
  const g = GLYPHS[style.rich ? 'rich' : 'ascii'];
  return `${g.used} used   ${g.cooling} cooling   ${g.free} free`;
}
