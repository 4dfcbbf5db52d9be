/**
 * @module
 * The pod mutation as a webhook handler (/mutate-v1-pod): Windows pods get request and limit "1"
 * of vpc.amazonaws.com/PrivateIPv4Address on their first container, so the scheduler only places
 * them on nodes with a free address. Same wire result as upstream's pod_webhook.go, plus required
 * node affinity on the OS label, which upstream ignores (docs/upstream-differences.md #29).
 *
 * The same rule as a MutatingAdmissionPolicy is in admission-policies.ts. The review's object is
 * whatever JSON the caller sent, so every field is read defensively: a malformed pod is allowed
 * unpatched (the API server rejects it itself) instead of making this handler throw, which the
 * transport would answer with HTTP 500.
 */
import { OS_LABEL, OS_LABEL_BETA, RESOURCE_NAME, WINDOWS } from '../contract.ts';
import { allowed, escapePointer, patched, type AdmissionReview, type JsonPatchOp } from './review.ts';

export interface MutatePodOptions {
  /** Reads the live ConfigMap state (enable-windows-ipam); false means leave every pod alone. */
  ipamEnabled: () => boolean;
}

type Json = Record<string, unknown>;

/** An object (not an array, not null), or undefined. */
function record(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function mutatePod(review: AdmissionReview, o: MutatePodOptions): AdmissionReview {
  const req = review.request;
  if (!req || req.kind?.kind !== 'Pod' || req.operation !== 'CREATE') return allowed(review);
  if (!o.ipamEnabled()) return allowed(review);
  const spec = record(record(req.object)?.spec);
  if (!spec || spec.hostNetwork === true) return allowed(review);
  if (!isWindowsPod(spec)) return allowed(review);
  const containers = list(spec.containers).map(record);
  const first = containers[0];
  if (!first) return allowed(review);
  if (containers.some((c) => requestsResource(c))) return allowed(review);
  const ops = resourcePatch(first.resources);
  return ops ? patched(review, ops) : allowed(review);
}

/**
 * Windows when the nodeSelector pins an OS label to windows, or when every required node
 * affinity term does (terms are ORed: one term allowing Linux means the pod may land on Linux,
 * where no node offers the resource, so it must not get the request).
 */
export function isWindowsPod(spec: unknown): boolean {
  const s = record(spec);
  const sel = record(s?.nodeSelector);
  if (sel?.[OS_LABEL] === WINDOWS || sel?.[OS_LABEL_BETA] === WINDOWS) return true;
  const required = record(record(record(s?.affinity)?.nodeAffinity)?.requiredDuringSchedulingIgnoredDuringExecution);
  const terms = list(required?.nodeSelectorTerms);
  if (terms.length === 0) return false;
  return terms.every((t) =>
    list(record(t)?.matchExpressions).some((expr) => {
      const e = record(expr);
      const values = list(e?.values);
      return (e?.key === OS_LABEL || e?.key === OS_LABEL_BETA) && e.operator === 'In' && values.length > 0 && values.every((v) => v === WINDOWS);
    }),
  );
}

function requestsResource(container: Json | undefined): boolean {
  const resources = record(container?.resources);
  return record(resources?.limits)?.[RESOURCE_NAME] !== undefined || record(resources?.requests)?.[RESOURCE_NAME] !== undefined;
}

/** Where the patch adds the resource; the policy form uses the same paths. */
export const RESOURCES_PATH = '/spec/containers/0/resources';
export const RESOURCE_FIELDS = ['limits', 'requests'] as const;
/** The quantity requested and limited, as the API server stores it. */
export const RESOURCE_QUANTITY = '1';

/**
 * Adds the maps that are missing, or just the key into maps that exist (as upstream does).
 * Undefined when the container's resources are not shaped like resources (no patch could apply).
 */
function resourcePatch(resources: unknown): JsonPatchOp[] | undefined {
  const one = { [RESOURCE_NAME]: RESOURCE_QUANTITY };
  if (resources === undefined || resources === null) return [{ op: 'add', path: RESOURCES_PATH, value: { limits: one, requests: one } }];
  const r = record(resources);
  if (!r) return undefined;
  const ops: JsonPatchOp[] = [];
  for (const field of RESOURCE_FIELDS) {
    if (r[field] === undefined || r[field] === null) ops.push({ op: 'add', path: `${RESOURCES_PATH}/${field}`, value: one });
    else if (record(r[field])) ops.push({ op: 'add', path: `${RESOURCES_PATH}/${field}/${escapePointer(RESOURCE_NAME)}`, value: RESOURCE_QUANTITY });
    else return undefined;
  }
  return ops;
}
