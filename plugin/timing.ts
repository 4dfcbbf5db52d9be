/**
 * @module
 * `WINPREFIX_DEBUG=timing`: one stderr line per phase of a run with the milliseconds since the process
 * started ("why is this slow here?"). Silent otherwise, and costs nothing then.
 */
let enabled: boolean | undefined;

export function mark(what: string): void {
  enabled ??= (process.env.WINPREFIX_DEBUG ?? '').split(',').includes('timing');
  if (enabled) process.stderr.write(`[timing] ${performance.now().toFixed(1).padStart(7)} ms  ${what}\n`);
}
