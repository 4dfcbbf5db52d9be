/**
 * @module
 * The leader's Kubernetes writes, cut off the moment it stops leading. A run in progress when the
 * Lease is lost (or SIGTERM arrives) would otherwise go on annotating the rest of a burst while
 * the queue waits for it; a new leader that already rebuilt its pools from the cache does not know
 * those addresses and can hand them out again. Refusing at the call keeps a stopped leader from
 * writing and lets the run end at once.
 */
import { fenceOf, type WriteFence } from '../support/fence.ts';
import type { NodeWrites } from './ports.ts';

export { ALWAYS_ALLOWED, bothFences, fenceOf, isNotLeading, NotLeadingError, type WriteFence } from '../support/fence.ts';

export function fenceWrites(w: NodeWrites, fence: WriteFence | AbortSignal): NodeWrites {
  const f = fence instanceof AbortSignal ? fenceOf(() => !fence.aborted) : fence;
  const check = (what: string) => f.check(what);
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
