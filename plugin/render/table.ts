/**
 * @module
 * The one wrapper around cli-table3: kubectl-style borderless columns (upper-case headings,
 * three spaces between columns, no ANSI codes from the library itself).
 */
import Table from 'cli-table3';

const NO_BORDER = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '',
  middle: '   ',
} as const;

/** Renders rows under headings; returns lines without trailing spaces, ending in a newline. */
export function renderTable(headings: readonly string[], rows: ReadonlyArray<readonly string[]>, opts: { indent?: string } = {}): string {
  const table = new Table({
    head: headings.map((h) => h.toUpperCase()),
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push([...row]);
  const indent = opts.indent ?? '';
  return `${table
    .toString()
    .split('\n')
    .map((line) => `${indent}${line.trimEnd()}`)
    .join('\n')}\n`;
}
