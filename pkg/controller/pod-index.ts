/**
 * @module
 * Pods by node: the reflector's cache is keyed by namespace/name, while the node reconciler asks
 * "which pods are on node X". Updated from the reflector's upsert/delete callbacks; answers which
 * nodes a change concerns, so only those are woken.
 */
import { podKey, type PodView } from '../core/views/pod-view.ts';

export class PodIndex {
  readonly #byKey = new Map<string, PodView>();
  readonly #byNode = new Map<string, Map<string, PodView>>();

  /** Records the pod; returns the nodes whose pod set changed (old and new node on a move). */
  upsert(pod: PodView): string[] {
    const key = podKey(pod);
    const previous = this.#byKey.get(key);
    this.#byKey.set(key, pod);
    const touched = new Set<string>();
    if (previous && previous.nodeName !== pod.nodeName) {
      this.#removeFromNode(previous.nodeName, key);
      if (previous.nodeName) touched.add(previous.nodeName);
    }
    if (pod.nodeName) {
      let onNode = this.#byNode.get(pod.nodeName);
      if (!onNode) this.#byNode.set(pod.nodeName, (onNode = new Map()));
      onNode.set(key, pod);
      touched.add(pod.nodeName);
    }
    return [...touched];
  }

  /** Forgets the pod; returns the node it was on, if any. */
  remove(pod: Pick<PodView, 'namespace' | 'name'>): string | undefined {
    const key = podKey(pod);
    const previous = this.#byKey.get(key);
    if (!previous) return undefined;
    this.#byKey.delete(key);
    this.#removeFromNode(previous.nodeName, key);
    return previous.nodeName || undefined;
  }

  onNode(nodeName: string): PodView[] {
    return [...(this.#byNode.get(nodeName)?.values() ?? [])];
  }

  get size(): number {
    return this.#byKey.size;
  }

  #removeFromNode(nodeName: string, key: string): void {
    const onNode = this.#byNode.get(nodeName);
    if (!onNode) return;
    onNode.delete(key);
    if (onNode.size === 0) this.#byNode.delete(nodeName);
  }
}
