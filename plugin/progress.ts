/**
 * @module
 * Word on stderr when a request is slow, for every plugin command: after 2 s a line names what is
 * awaited and from where, and how to bound the wait; then one line every 10 s while it lasts. Nothing is
 * printed for requests that answer in time, and stdout is never touched, so `-o json | jq` stays clean.
 */
import { formatAge } from './render/age.ts';

export const SLOW_AFTER_MS = 2_000;
const REPEAT_MS = 10_000;

export interface Progress {
  /** Starts watching one request; call the returned function when it ends (either way). */
  track(what: string, where: string): () => void;
}

export function createProgress(o: { stderr(text: string): void; boundedBy: string }): Progress {
  return {
    track(what, where) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const tick = (first: boolean) => {
        // The timer can fire a millisecond short of SLOW_AFTER_MS by the wall clock, which would print "for 1s".
        const waited = formatAge(Math.max(first ? SLOW_AFTER_MS : 0, Date.now() - started) / 1000);
        o.stderr(first ? `waiting for ${what} (${where}) for ${waited} ... ${o.boundedBy}\n` : `still waiting for ${what} (${waited})\n`);
        timer = setTimeout(() => tick(false), REPEAT_MS);
        timer.unref();
      };
      timer = setTimeout(() => tick(true), SLOW_AFTER_MS);
      timer.unref();
      return () => clearTimeout(timer);
    },
  };
}
