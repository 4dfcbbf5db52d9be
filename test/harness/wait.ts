/**
 * @module
 * Polling for eventually-true conditions (a controller reacted, an annotation appeared), with a timeout error
 * that names what was awaited and the last thing seen, so a failing test explains itself.
 */
import { inspect } from 'node:util';

export interface WaitOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 100 ms. */
  intervalMs?: number;
}

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

function describeLast(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: 120, maxStringLength: 2_000 });
}

/**
 * Calls `fn` until it returns something other than undefined, and returns that. Errors thrown by `fn` count as
 * "not yet" and the last one is reported on timeout.
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: { kind: 'value' | 'error' | 'none'; value?: unknown } = { kind: 'none' };
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
      last = { kind: 'value', value };
    } catch (err) {
      last = { kind: 'error', value: err };
    }
    if (Date.now() >= deadline) break;
    await new Promise((ok) => setTimeout(ok, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
  const seen =
    last.kind === 'error'
      ? `the last attempt threw ${describeLast(last.value)}`
      : last.kind === 'value'
        ? 'the condition was still unmet (returned undefined)'
        : 'the condition was never checked';
  throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}: ${seen}`, {
    cause: last.kind === 'error' ? last.value : undefined,
  });
}
