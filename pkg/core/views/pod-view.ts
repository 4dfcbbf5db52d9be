/**
 * @module
 * The stripped pod that IPAM keeps in memory. A full V1Pod with managedFields is several KB;
 * a cluster with 50k pods would hold hundreds of MB for the dozen fields IPAM reads. Pods are
 * converted on receipt (reflector `transform`), so the full object is garbage at once.
 *
 * Input may be a typed client-node model (from a list call: timestamps are Date) or raw wire
 * JSON (from a watch: timestamps are strings); both give the same PodView.
 */
import { POD_IP_ANNOTATION, RESOURCE_NAME } from '../contract.ts';

/**
 * One record per pod, shared by the pod cache, the per-node index, the cluster's address claims and the
 * node run's plan: at 20,000 pods each field is paid 20,000 times, so what IPAM reads is computed once on
 * receipt and nothing else is kept (docs/platform-notes.md, "Controller memory").
 */
export interface PodView {
  namespace: string;
  name: string;
  uid: string;
  /** Empty until the scheduler binds the pod. */
  nodeName: string;
  /** Pending / Running / Succeeded / Failed / Unknown; empty when the kubelet has not reported. */
  phase: string;
  /** Succeeded or Failed: the containers are gone for good and the address can be released. */
  terminal: boolean;
  /** metadata.creationTimestamp in ms since the epoch, for the oldest-first order and the creation-to-annotation histogram. */
  createdAt: number | undefined;
  /** The address the controller gave this pod ("10.0.0.5/32"): the IP annotation, undefined when absent or empty. */
  annotation: string | undefined;
  /** Whether the pod has any annotation at all (the annotation patch's precondition depends on it). */
  hasAnnotations: boolean;
  /**
   * An app container requests the IP resource (limits count when a request is absent, as the API server
   * defaults them) and the pod is not on the host network.
   */
  requestsIp: boolean;
  resourceVersion: string | undefined;
  /** When the controller first saw this pod (ms since the epoch), for its own seen-to-annotated time. */
  seenAt: number | undefined;
}

/**
 * The fields of a Pod this module reads, as the core declares them: client-node's V1Pod and the raw
 * wire JSON of a watch both fit, and the core needs no Kubernetes client to compile.
 */
export interface PodObject {
  metadata?: {
    namespace?: string;
    name?: string;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    creationTimestamp?: Date | string;
  };
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers?: Array<{ name?: string; resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }>;
  };
  status?: { phase?: string };
}

/**
 * `sameString` may return an equal string already held elsewhere (the node's own name from the node cache),
 * so the pods of a node share one copy of its name instead of one each.
 */
export function toPodView(pod: PodObject, sameString: (s: string) => string = (s) => s): PodView {
  const md = pod.metadata ?? {};
  let ipRequest = 0;
  for (const c of pod.spec?.containers ?? []) {
    const q = c.resources?.requests?.[RESOURCE_NAME] ?? c.resources?.limits?.[RESOURCE_NAME];
    ipRequest += quantityToInt(q as string | number | undefined);
  }
  const phase = pod.status?.phase ?? '';
  const annotation = md.annotations?.[POD_IP_ANNOTATION];
  const nodeName = pod.spec?.nodeName ?? '';
  // Every field is written here, in this order, so all pods share one hidden class with every field in the
  // object itself (a field added later, like seenAt, would cost each pod a separate property store).
  return {
    namespace: md.namespace ?? '',
    name: md.name ?? '',
    uid: md.uid ?? '',
    nodeName: nodeName === '' ? '' : sameString(nodeName),
    phase,
    terminal: phase === 'Succeeded' || phase === 'Failed',
    createdAt: timeMs(md.creationTimestamp),
    annotation: annotation === undefined || annotation === '' ? undefined : annotation,
    hasAnnotations: md.annotations !== undefined && Object.keys(md.annotations).length > 0,
    requestsIp: ipRequest > 0 && pod.spec?.hostNetwork !== true,
    resourceVersion: md.resourceVersion,
    seenAt: undefined,
  };
}

/**
 * Carries a pod's history into the view of its latest update: when the controller first saw it, and the uid and
 * name strings of that first sighting. Each update arrives with fresh copies of those strings while the pool and
 * the address claims hold the first ones; keeping those leaves one copy per pod alive, not two. A different uid
 * is a new pod under the same name: it is first seen `now`.
 */
export function continueFrom(view: PodView, previous: PodView | undefined, now: number): void {
  if (previous === undefined || previous.uid !== view.uid) {
    view.seenAt = now;
    return;
  }
  view.uid = previous.uid;
  view.name = previous.name;
  view.seenAt = previous.seenAt ?? now;
}

/** The reflector key for pods and other namespaced objects. */
export function podKey(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}

/** Accepts Date (typed model) or string (wire JSON). */
function timeMs(v: Date | string | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = v instanceof Date ? v.getTime() : Date.parse(String(v));
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Extended resources are integers ("1", "2"); tolerate "1k"-style suffixes only as far as they
 * give a whole number, since the API server rejects fractional extended resources anyway.
 */
function quantityToInt(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return Number.isFinite(q) ? Math.max(0, Math.floor(q)) : 0;
  const m = /^(\d+)(k|M|G)?$/.exec(q.trim());
  if (!m) return 0;
  const mult = m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : m[2] === 'G' ? 1e9 : 1;
  return Number(m[1]) * mult;
}
