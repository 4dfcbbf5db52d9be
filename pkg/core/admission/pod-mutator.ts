/**
 * @module
 * The pod mutating webhook (/mutate-v1-pod): Windows pods get request and limit "1" of
 * vpc.amazonaws.com/PrivateIPv4Address on their first container, so the scheduler only places
 * them on nodes with a free address. Same wire result as upstream's pod_webhook.go, plus
 * required node affinity on the OS label, which upstream ignores (docs/upstream-differences.md #29).
 */
import { OS_LABEL, OS_LABEL_BETA, RESOURCE_NAME, WINDOWS } from '../contract.ts';
import { allowed, escapePointer, patched, type AdmissionReview, type JsonPatchOp } from './review.ts';

export interface MutatePodOptions {
  /** Reads the live ConfigMap state (enable-windows-ipam); false means leave every pod alone. */
  ipamEnabled: () => boolean;
}

/** The parts of a pod the mutator reads (wire JSON). */
interface PodSpecLike {
  hostNetwork?: boolean;
  nodeSelector?: Record<string, string>;
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: {
        nodeSelectorTerms?: Array<{ matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }> }>;
      };
    };
  };
  containers?: Array<{ resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> } }>;
}

export function mutatePod(review: AdmissionReview, o: MutatePodOptions): AdmissionReview {
  const req = review.request;
  if (!req || req.kind?.kind !== 'Pod' || req.operation !== 'CREATE') return allowed(review);
  if (!o.ipamEnabled()) return allowed(review);
  const spec = (req.object as { spec?: PodSpecLike } | undefined)?.spec;
  if (!spec || spec.hostNetwork === true) return allowed(review);
  if (!isWindowsPod(spec)) return allowed(review);
  const containers = spec.containers ?? [];
  if (containers.length === 0) return allowed(review);
  if (containers.some((c) => c.resources?.limits?.[RESOURCE_NAME] !== undefined || c.resources?.requests?.[RESOURCE_NAME] !== undefined)) {
    return allowed(review);
  }
  return patched(review, resourcePatch(containers[0]!.resources));
}

/**
 * Windows when the nodeSelector pins an OS label to windows, or when every required node
 * affinity term does (terms are ORed: one term allowing Linux means the pod may land on Linux,
 * where no node offers the resource, so it must not get the request).
 */
export function isWindowsPod(spec: PodSpecLike): boolean {
  const sel = spec.nodeSelector ?? {};
  if (sel[OS_LABEL] === WINDOWS || sel[OS_LABEL_BETA] === WINDOWS) return true;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return false;
  return terms.every((t) =>
    (t.matchExpressions ?? []).some(
      (e) => (e.key === OS_LABEL || e.key === OS_LABEL_BETA) && e.operator === 'In' && (e.values ?? []).length > 0 && (e.values ?? []).every((v) => v === WINDOWS),
    ),
  );
}

const BASE = '/spec/containers/0/resources';

/** Adds the maps that are missing, or just the key into maps that exist (as upstream does). */
function resourcePatch(resources: { limits?: Record<string, unknown>; requests?: Record<string, unknown> } | undefined): JsonPatchOp[] {
  const one = { [RESOURCE_NAME]: '1' };
  if (!resources) return [{ op: 'add', path: BASE, value: { limits: one, requests: one } }];
  const ops: JsonPatchOp[] = [];
  for (const field of ['limits', 'requests'] as const) {
    if (resources[field] === undefined || resources[field] === null) ops.push({ op: 'add', path: `${BASE}/${field}`, value: one });
    else ops.push({ op: 'add', path: `${BASE}/${field}/${escapePointer(RESOURCE_NAME)}`, value: '1' });
  }
  return ops;
}
