/**
 * @module
 * Terminal styling decided once per run: colour and Unicode glyphs only on a terminal and never
 * with NO_COLOR (https://no-color.org); otherwise plain ASCII, so piped output greps cleanly.
 */
import { colourEnabled, type CliIO } from '../io.ts';

export interface Style {
  /** True on a colour terminal: ANSI colours and Unicode glyphs. */
  rich: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function styleFor(io: CliIO): Style {
  return colourEnabled(io) ? RICH : PLAIN;
}

export const PLAIN: Style = { rich: false, bold: plain, dim: plain, red: plain, yellow: plain, green: plain };
export const RICH: Style = { rich: true, bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39) };

/** Removes ANSI styling, for width computations and tests. */
export function stripStyle(text: string): string {
  return text.replace(/\u001b\[\d+m/g, '');
}
