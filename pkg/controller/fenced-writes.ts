/**
 * @module
 * The leader's Kubernetes writes, cut off the moment it stops leading. A run in progress when the
 * Lease is lost (or SIGTERM arrives) would otherwise go on annotating the rest of a burst while
 * the queue waits for it; a new leader that already rebuilt its pools from the cache does not know
 * those addresses and can hand them out again. Refusing at the call keeps a stopped leader from
 * writing and lets the run end at once.
 */
import type { NodeWrites } from './ports.ts';

/** Thrown by a fenced write; the reconciler treats it as "stop", not as a failure worth a warning. */
export class NotLeadingError extends Error {
  constructor(what: string) {
    super(`${what} not written: this replica no longer leads`);
    this.name = 'NotLeadingError';
  }
}

export function fenceWrites(w: NodeWrites, signal: AbortSignal): NodeWrites {
  const check = (what: string) => {
    if (signal.aborted) throw new NotLeadingError(what);
  };
  return {
    async annotatePod(pod, value) {
      check(`annotation of pod ${pod.namespace}/${pod.name}`);
      return w.annotatePod(pod, value);
    },
    async setCapacity(node, value) {
      check(`capacity of node ${node}`);
      return w.setCapacity(node, value);
    },
    async setStatusAnnotation(node, value) {
      check(`status of node ${node}`);
      return w.setStatusAnnotation(node, value);
    },
  };
}
