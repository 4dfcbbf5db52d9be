/**
 * @module
 * How wide the human output may be, for every command: COLUMNS when set (as `COLUMNS=120 kubectl ...`,
 * or a shell that exports it), else the terminal's width when stdout is one, else 100 (a pipe, a file,
 * CI logs). Never narrower than 40: below that nothing reads well and tables would only fold.
 */
import type { CliIO } from '../io.ts';

export const PIPE_WIDTH = 100;
export const MIN_WIDTH = 40;

export function terminalWidth(io: Pick<CliIO, 'env' | 'stdoutIsTTY' | 'stdoutColumns'>): number {
  const fromEnv = Number(io.env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return Math.max(MIN_WIDTH, fromEnv);
  if (io.stdoutIsTTY && io.stdoutColumns && io.stdoutColumns > 0) return Math.max(MIN_WIDTH, io.stdoutColumns);
  return PIPE_WIDTH;
}
