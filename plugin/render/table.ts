/**
 * @module
 * kubectl-style tables that fit the terminal, for every command: upper-case headings, columns three
 * spaces apart, no borders, no trailing spaces. When a table is wider than the width it may use:
 *
 * 1. columns with a `drop` priority go, lowest first (the default output; `-o wide` drops nothing);
 * 2. `below` columns (free text such as an event message) move under their row, indented;
 * 3. `wrap` columns fold onto more lines and `truncate` columns shorten with an ellipsis, down to their
 *    minimum width;
 * 4. if it still does not fit, each row becomes a record: its `key` columns as a title, then
 *    "HEADING value" pairs flowed to the width. Nothing is lost and nothing overflows.
 *
 * Cells are plain text with an optional `paint` applied to the finished text, so widths never count
 * escape codes.
 */
import { displayWidth, truncate, wrapText } from './text.ts';

export interface Column {
  heading: string;
  /** How the column gives way: keep (never shrinks), wrap, truncate, or move below its row. Default keep. */
  fit?: 'keep' | 'wrap' | 'truncate' | 'below';
  /** Dropped when the table is too wide (lowest first); undefined never drops. */
  drop?: number;
  /** The narrowest a wrap or truncate column gets; default the heading's width, at least 8. */
  minWidth?: number;
  /** Part of the record title when rows become records. */
  key?: boolean;
}

export interface Cell {
  text: string;
  paint?: (text: string) => string;
}

export interface TableOptions {
  /** Columns the output may use, indent included. */
  width: number;
  indent?: string;
  /** "…" on a terminal, "..." in plain output. */
  ellipsis?: string;
  /** False for `-o wide`: every column stays. */
  mayDrop?: boolean;
  /**
   * Drop a column only when the table cannot fit even with its wrap and truncate columns at their minimum
   * (a list whose long names may shorten keeps its columns); default: drop while the natural widths overflow.
   */
  dropOnlyWhenShrinkingFails?: boolean;
}

export interface FittedTable {
  text: string;
  /** Headings of the columns left out to fit, for a "-o wide shows ..." note. */
  dropped: string[];
}

const GAP = '   ';

export function fitTable(columns: readonly Column[], rows: ReadonlyArray<ReadonlyArray<string | Cell>>, o: TableOptions): FittedTable {
  const indent = o.indent ?? '';
  const ellipsis = o.ellipsis ?? '…';
  const available = Math.max(20, o.width - displayWidth(indent));
  const cells: Cell[][] = rows.map((r) => r.map((c) => (typeof c === 'string' ? { text: c } : c)));
  const natural = columns.map((c, i) => Math.max(displayWidth(c.heading), ...cells.map((r) => displayWidth(r[i]?.text ?? ''))));
  const minOf = (i: number) => columns[i]!.minWidth ?? Math.max(8, displayWidth(columns[i]!.heading));
  let shown = columns.map((_, i) => i);
  const total = (widths: readonly number[], idx: readonly number[]) => idx.reduce((n, i) => n + widths[i]!, 0) + GAP.length * Math.max(0, idx.length - 1);

  const dropped: string[] = [];
  if (o.mayDrop !== false) {
    const droppable = shown.filter((i) => columns[i]!.drop !== undefined).sort((a, b) => columns[a]!.drop! - columns[b]!.drop!);
    const narrowest = natural.map((w, i) => (columns[i]!.fit === 'wrap' || columns[i]!.fit === 'truncate' ? Math.min(w, minOf(i)) : w));
    const measure = o.dropOnlyWhenShrinkingFails ? narrowest : natural;
    for (const i of droppable) {
      if (total(measure, shown) <= available) break;
      shown = shown.filter((j) => j !== i);
      dropped.push(columns[i]!.heading);
    }
  }

  // Free text goes under its row before anything else shrinks.
  let below = shown.filter((i) => columns[i]!.fit === 'below' && total(natural, shown) > available);
  let inRow = shown.filter((i) => !below.includes(i));
  const widths = [...natural];
  const shrinkable = () => inRow.filter((i) => (columns[i]!.fit === 'wrap' || columns[i]!.fit === 'truncate') && widths[i]! > minOf(i));
  while (total(widths, inRow) > available) {
    const candidates = shrinkable();
    if (candidates.length === 0) break;
    // Take from the widest shrinkable column, one column at a time, so they end up balanced.
    const widest = candidates.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
    widths[widest] = widths[widest]! - 1;
  }
  if (total(widths, inRow) > available) return { text: records(columns, cells, shown, available, indent), dropped };
  if (below.length > 0 && inRow.length === 0) {
    inRow = below;
    below = [];
  }

  const lines: string[] = [];
  const renderRow = (row: Cell[], heading: boolean) => {
    const parts = inRow.map((i) => {
      const cell = row[i] ?? { text: '' };
      const w = widths[i]!;
      if (displayWidth(cell.text) <= w || heading) return { lines: [cell.text], paint: cell.paint };
      if (columns[i]!.fit === 'truncate') return { lines: [truncate(cell.text, w, ellipsis)], paint: cell.paint };
      return { lines: wrapText(cell.text, w), paint: cell.paint };
    });
    const height = Math.max(...parts.map((p) => p.lines.length));
    for (let l = 0; l < height; l++) {
      const segments = parts.map((p, k) => {
        const text = p.lines[l] ?? '';
        const last = k === parts.length - 1;
        const painted = p.paint && text !== '' ? p.paint(text) : text;
        return last ? painted : painted + ' '.repeat(Math.max(0, widths[inRow[k]!]! - displayWidth(text)));
      });
      lines.push(`${indent}${segments.join(GAP)}`.trimEnd());
    }
    if (!heading) {
      for (const i of below) {
        const cell = row[i];
        if (!cell || cell.text === '') continue;
        const pad = `${indent}    `;
        for (const line of wrapText(cell.text, Math.max(20, o.width - displayWidth(pad)))) lines.push(`${pad}${cell.paint ? cell.paint(line) : line}`);
      }
    }
  };
  renderRow(columns.map((c) => ({ text: c.heading.toUpperCase() })), true);
  for (const row of cells) renderRow(row, false);
  return { text: `${lines.join('\n')}\n`, dropped };
}

/** The last resort: one block per row, its key columns as the title, every other column as "HEADING value". */
function records(columns: readonly Column[], rows: Cell[][], shown: number[], available: number, indent: string): string {
  const keys = shown.filter((i) => columns[i]!.key);
  const titleCols = keys.length > 0 ? keys : shown.slice(0, 1);
  const rest = shown.filter((i) => !titleCols.includes(i));
  const out: string[] = [];
  const pad = `${indent}  `;
  const room = Math.max(20, available - 2);
  for (const row of rows) {
    const title = titleCols.map((i) => row[i]?.text ?? '').filter((t) => t !== '').join('/');
    out.push(`${indent}${title}`);
    let plain = '';
    let painted = '';
    const flush = () => {
      if (plain !== '') out.push(`${pad}${painted}`);
      plain = '';
      painted = '';
    };
    for (const i of rest) {
      const cell = row[i];
      const text = cell?.text ?? '';
      // A record names what it has: an empty or "-" cell says nothing.
      if (text === '' || text === '-') continue;
      const heading = columns[i]!.heading.toUpperCase();
      const piece = `${heading} ${text}`;
      if (plain !== '' && displayWidth(plain) + GAP.length + displayWidth(piece) > room) flush();
      if (displayWidth(piece) > room) {
        flush();
        for (const l of wrapText(piece, room)) out.push(`${pad}${l}`);
        continue;
      }
      const paintedPiece = `${heading} ${cell?.paint ? cell.paint(text) : text}`;
      plain = plain === '' ? piece : `${plain}${GAP}${piece}`;
      painted = painted === '' ? paintedPiece : `${painted}${GAP}${paintedPiece}`;
    }
    flush();
  }
  return `${out.join('\n')}\n`;
}

/** Columns under headings, as wide as they need (simulate's table, and anything that never has to fit). */
export function renderTable(headings: readonly string[], rows: ReadonlyArray<readonly string[]>, opts: { indent?: string } = {}): string {
  return fitTable(
    headings.map((heading) => ({ heading })),
    rows,
    { width: Number.MAX_SAFE_INTEGER, ...(opts.indent !== undefined ? { indent: opts.indent } : {}), mayDrop: false },
  ).text;
}
