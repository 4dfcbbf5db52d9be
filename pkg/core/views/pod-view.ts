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

/** Annotations under this prefix are kept (the IP annotation and upstream's siblings). */
export const KEPT_ANNOTATION_PREFIX = 'vpc.amazonaws.com/';

export interface PodView {
  namespace: string;
  name: string;
  uid: string;
  /** Empty until the scheduler binds the pod. */
  nodeName: string;
  /** Pending / Running / Succeeded / Failed / Unknown; empty when the kubelet has not reported. */
  phase: string;
  /** RFC 3339, or undefined while the pod is not being deleted. */
  deletionTimestamp: string | undefined;
  creationTimestamp: string | undefined;
  /** Only annotations whose key starts with vpc.amazonaws.com/. */
  annotations: Record<string, string>;
  /** Whether the pod has any annotation at all (the annotation patch's precondition depends on it). */
  hasAnnotations: boolean;
  /** Sum over app containers of the IP resource requested (limits count when a request is absent, as the API server defaults them). */
  ipRequest: number;
  hostNetwork: boolean;
  resourceVersion: string | undefined;
  /** When the controller first saw this pod (ms since the epoch), for its own seen-to-annotated time. */
  seenAt?: number;
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
    deletionTimestamp?: Date | string;
  };
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers?: Array<{ name?: string; resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }>;
  };
  status?: { phase?: string };
}

export function toPodView(pod: PodObject): PodView {
  const md = pod.metadata ?? {};
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.annotations ?? {})) {
    if (k.startsWith(KEPT_ANNOTATION_PREFIX)) annotations[k] = v;
  }
  let ipRequest = 0;
  for (const c of pod.spec?.containers ?? []) {
    const q = c.resources?.requests?.[RESOURCE_NAME] ?? c.resources?.limits?.[RESOURCE_NAME];
    ipRequest += quantityToInt(q as string | number | undefined);
  }
  return {
    namespace: md.namespace ?? '',
    name: md.name ?? '',
    uid: md.uid ?? '',
    nodeName: pod.spec?.nodeName ?? '',
    phase: pod.status?.phase ?? '',
    deletionTimestamp: timeString(md.deletionTimestamp),
    creationTimestamp: timeString(md.creationTimestamp),
    annotations,
    hasAnnotations: Object.keys(md.annotations ?? {}).length > 0,
    ipRequest,
    hostNetwork: pod.spec?.hostNetwork === true,
    resourceVersion: md.resourceVersion,
  };
}

/** The reflector key for pods and other namespaced objects. */
export function podKey(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}

export function requestsIpResource(p: PodView): boolean {
  return p.ipRequest > 0 && !p.hostNetwork;
}

/** Succeeded or Failed: the containers are gone for good and the address can be released. */
export function isTerminal(p: PodView): boolean {
  return p.phase === 'Succeeded' || p.phase === 'Failed';
}

/** The address the controller gave this pod ("10.0.0.5/32"), or undefined. */
export function ipAnnotation(p: PodView): string | undefined {
  const v = p.annotations[POD_IP_ANNOTATION];
  return v === undefined || v === '' ? undefined : v;
}

/** Accepts Date (typed model) or string (wire JSON). */
function timeString(v: Date | string | undefined | null): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  return String(v);
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
