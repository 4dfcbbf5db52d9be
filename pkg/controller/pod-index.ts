/**
 * @module
 * Pods by node: the reflector's cache is keyed by namespace/name, while the node reconciler asks
 * "which pods are on node X". Fed from the reflector's upsert/delete callbacks, which hand over the
 * object the cache held before, so the index keeps no key of its own: per node, the pods by UID (a
 * string each pod already holds). Answers which nodes a change concerns, so only those are woken.
 */
import type { PodView } from '../core/views/pod-view.ts';

export class PodIndex {
  readonly #byNode = new Map<string, Map<string, PodView>>();
  #size = 0;

  /**
   * Records the pod in place of `previous` (what the cache held under its key, if anything); returns the
   * nodes whose pod set changed (old and new node on a move). Unbound pods are not indexed.
   */
  upsert(pod: PodView, previous: PodView | undefined): string[] {
    const touched: string[] = [];
    if (previous && (previous.nodeName !== pod.nodeName || previous.uid !== pod.uid)) {
      const from = this.remove(previous);
      if (from !== undefined && from !== pod.nodeName) touched.push(from);
    }
    if (pod.nodeName) {
      let onNode = this.#byNode.get(pod.nodeName);
      if (!onNode) this.#byNode.set(pod.nodeName, (onNode = new Map()));
      if (!onNode.has(pod.uid)) this.#size++;
      onNode.set(pod.uid, pod);
      touched.push(pod.nodeName);
    }
    return touched;
  }

  /** Forgets the pod; returns the node it was on, if the index had it. */
  remove(pod: Pick<PodView, 'uid' | 'nodeName'>): string | undefined {
    const onNode = this.#byNode.get(pod.nodeName);
    if (!onNode?.delete(pod.uid)) return undefined;
    this.#size--;
    if (onNode.size === 0) this.#byNode.delete(pod.nodeName);
    return pod.nodeName;
  }

  onNode(nodeName: string): PodView[] {
    return [...(this.#byNode.get(nodeName)?.values() ?? [])];
  }

  get size(): number {
    return this.#size;
  }
}
