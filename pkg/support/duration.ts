/**
 * @module
 * Durations on the command line, written the Kubernetes way ("30s", "500ms", "1m30s", "2h"), or
 * as a bare number of seconds. Parsed at the edge into milliseconds.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export class DurationError extends Error {
  readonly code = 'WINPREFIX_BAD_DURATION';
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

export function parseDuration(text: string | number, flag = 'duration'): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new DurationError(`--${flag}: ${text} is not a duration; use e.g. 30s, 500ms or 2m`);
    return text * 1_000;
  }
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1_000;
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) {
    throw new DurationError(`--${flag}: "${text}" is not a duration; use e.g. 30s, 500ms, 1m30s or 2h`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}
