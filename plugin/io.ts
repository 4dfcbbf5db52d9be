/**
 * @module
 * What plugin commands may touch of the process, passed in so commands are testable without one.
 * Exit codes follow `kubectl diff`: 0 consistent, 1 findings, 2 or more the tool failed.
 */

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Colour and terminal niceties only when stdout is a terminal and NO_COLOR is unset. */
  stdoutIsTTY: boolean;
  /** The terminal's width when stdout is one (render/width.ts decides the width used). */
  stdoutColumns?: number | undefined;
  /** Whether an exec credential plugin may prompt (stdin is a terminal). */
  stdinIsTTY?: boolean;
  /** The terminal's height when stdout is one (a --watch redraw fits the screen). */
  stdoutRows?: number | undefined;
  /**
   * For commands that run until stopped (--watch): `handler` runs once on Ctrl-C (SIGINT), SIGTERM, SIGHUP or
   * when the reader of a pipe goes away; returns a function that removes it. Absent: nothing stops them.
   */
  onStop?(handler: (why: string) => void): () => void;
  /** The terminal was resized; returns a function that removes the handler. */
  onResize?(handler: (size: { columns: number; rows: number }) => void): () => void;
  now(): Date;
}

export const ExitCode = { ok: 0, findings: 1, toolError: 2 } as const;

const BRAND = Symbol.for('winprefix.CliError');

/**
 * A failure the user can fix; main prints `message` as one line on stderr (`error: ...`), then `hint`
 * on a line of its own when there is one (kubectl's "See '... --help' for usage."), and exits with `exitCode`.
 */
export class CliError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  constructor(message: string, exitCode: number = ExitCode.toolError, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hint = options?.hint;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses inherit this method: they must keep the ordinary prototype check, or every branded
    // error would count as an instance of every subclass.
    if (this !== CliError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
  get [BRAND](): boolean {
    return true;
  }
}

export function colourEnabled(io: CliIO): boolean {
  return io.stdoutIsTTY && (io.env.NO_COLOR ?? '') === '';
}
