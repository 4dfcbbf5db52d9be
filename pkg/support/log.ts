/**
 * @module
 * Structured JSON logs, one object per line, created once in the composition root and passed
 * down (no global logger). `child()` binds fields such as `node` or `pod` so every line of one
 * unit of work can be grepped together.
 */
import { systemClock, type Clock } from './clock.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
  /** A logger whose lines all carry `fields` (later fields win over earlier ones). */
  child(fields: object): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(RANK, value);
}

export interface CreateLoggerOptions {
  level: LogLevel;
  /** Where a finished line goes (without newline handling: the line has none). Default: stderr. */
  write?: (line: string) => void;
  /** Line timestamps (wall time); default: the system clock. */
  clock?: Pick<Clock, 'now'>;
}

export function createLogger(o: CreateLoggerOptions): Logger {
  const write = o.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const clock = o.clock ?? systemClock;
  const min = RANK[o.level];
  if (min === undefined) throw new TypeError(`unknown log level "${String(o.level)}": use debug, info, warn or error`);
  return make({}, (level, msg, bound, fields) => {
    if (RANK[level] < min) return;
    write(encodeLine({ time: new Date(clock.now()).toISOString(), level, msg, ...bound, ...(fields as Record<string, unknown>) }));
  });
}

/** A logger that drops everything: for tests and library defaults. */
export const silentLogger: Logger = make({}, () => {});

type Sink = (level: LogLevel, msg: string, bound: Record<string, unknown>, fields: object | undefined) => void;

function make(bound: Record<string, unknown>, sink: Sink): Logger {
  return {
    debug: (msg, fields) => sink('debug', msg, bound, fields),
    info: (msg, fields) => sink('info', msg, bound, fields),
    warn: (msg, fields) => sink('warn', msg, bound, fields),
    error: (msg, fields) => sink('error', msg, bound, fields),
    child: (fields) => make({ ...bound, ...(fields as Record<string, unknown>) }, sink),
  };
}

/**
 * Errors do not survive JSON.stringify (their fields are non-enumerable), and a cyclic or
 * BigInt-carrying field must not make a log call throw: logging is never allowed to fail.
 */
export function encodeLine(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, replacer);
  } catch (err) {
    return JSON.stringify({ time: record.time, level: record.level, msg: record.msg, logError: String(err) });
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.cause !== undefined) out.cause = value.cause instanceof Error ? value.cause.message : String(value.cause);
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
