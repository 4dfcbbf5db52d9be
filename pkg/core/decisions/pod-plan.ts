/**
 * @module
 * Which pods on a managed node need an address and which addresses can go back, decided from the
 * pod cache and the pool's assignments alone. Level-based: it looks at what is, not at events, so
 * a delete missed in a watch gap is found the next time the node is looked at. And which pod updates
 * are worth looking at the node again for (podUpdateWakesNode).
 */
import type { PodView } from '../views/pod-view.ts';

/**
 * The fields of a pod the plan reads. The pod cache's PodView is one (the plan reads the cache's own objects);
 * the cache's version and first sighting are optional for planners' tests that have none.
 */
export type PodFacts = Pick<PodView, 'uid' | 'namespace' | 'name' | 'requestsIp' | 'terminal' | 'annotation' | 'createdAt' | 'hasAnnotations'> &
  Partial<Pick<PodView, 'resourceVersion' | 'seenAt'>>;

export interface PodPlanInputs {
  /** Pods the cache has bound to this node. */
  pods: readonly PodFacts[];
  /** Pod UIDs the pool holds an address for. */
  assigned: ReadonlySet<string>;
  /** Pod UIDs whose annotation we wrote in this process (the cache may not show it yet). */
  annotated: ReadonlySet<string>;
  /** Pod UIDs whose annotation patch is on its way: planned once, not again while it flies. */
  inFlight?: { has(uid: string): boolean };
}

export interface PodPlan {
  /** Pods to assign and annotate, oldest first. */
  assign: PodFacts[];
  /** Pool assignments whose pod is gone or finished. */
  release: string[];
  /** Running pods carrying an annotation the pool does not know: reported, never reassigned. */
  unknownAnnotated: PodFacts[];
}

export function planPods(i: PodPlanInputs): PodPlan {
  const live = new Map<string, PodFacts>();
  for (const p of i.pods) if (!p.terminal) live.set(p.uid, p);

  const release = [...i.assigned].filter((uid) => !live.has(uid));
  const assign: PodFacts[] = [];
  const unknownAnnotated: PodFacts[] = [];
  for (const p of live.values()) {
    if (!p.requestsIp) continue;
    if (p.annotation !== undefined) {
      if (!i.assigned.has(p.uid)) unknownAnnotated.push(p);
      continue;
    }
    // Assigned and annotated by us (or being annotated), the cache just has not caught up: nothing to do.
    if (i.assigned.has(p.uid) && (i.annotated.has(p.uid) || i.inFlight?.has(p.uid))) continue;
    assign.push(p);
  }
  // Code-unit order for the tie-break: uids are ASCII, and localeCompare would load ICU's collation data into
  // the controller (2.5 MiB of RSS) to sort them.
  assign.sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  return { assign, release, unknownAnnotated };
}

/**
 * Whether a pod's update needs its node looked at. Only IPAM's fields count: status churn (Pending -> Running)
 * does not. Nor does the controller's own annotation coming back (`ownAnnotationSeen`: the address it reserved
 * for the pod, see AddressClaims.setPod) when nothing else changed: the patch's answer wakes the node, and a run
 * for the update as well would find nothing to do. (When the pool was rebuilt or dropped meanwhile, its
 * reservations went with it, so the annotation is not taken for our own.) In a 500-pod burst these runs were a
 * quarter of all.
 */
export function podUpdateWakesNode(old: PodChangeFacts, p: PodChangeFacts, ownAnnotationSeen: boolean): boolean {
  const sameOtherwise = old.uid === p.uid && old.nodeName === p.nodeName && old.terminal === p.terminal && old.requestsIp === p.requestsIp;
  if (sameOtherwise && old.annotation === p.annotation) return false;
  return !(sameOtherwise && ownAnnotationSeen && old.annotation === undefined);
}

export type PodChangeFacts = Pick<PodView, 'uid' | 'nodeName' | 'terminal' | 'requestsIp' | 'annotation'>;
