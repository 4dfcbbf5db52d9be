/**
 * @module
 * What stands in the way of `kubectl drain`: which of a node's pods a drain evicts (not DaemonSet pods,
 * not mirror pods, not finished ones) and which PodDisruptionBudgets (policy/v1) cover them, with how many
 * disruptions each allows right now. A budget allowing none refuses every eviction of its pods, so the
 * drain waits until it allows one; a budget allowing fewer than the node's pods it covers lets them go one
 * by one as their replacements become ready elsewhere. Pure.
 */
import type { ObjectMeta } from './objects.ts';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }>;
}

export interface KubePodDisruptionBudget {
  metadata?: ObjectMeta;
  spec?: { selector?: LabelSelector | null; minAvailable?: number | string; maxUnavailable?: number | string };
  status?: { disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number };
}

/** The parts of a pod a drain looks at. */
export interface DrainablePod {
  metadata?: ObjectMeta & { ownerReferences?: Array<{ kind?: string; controller?: boolean }> };
  status?: { phase?: string };
}

export interface BudgetOnNode {
  namespace: string;
  name: string;
  /** status.disruptionsAllowed; 0 when the controller has not computed it yet. */
  disruptionsAllowed: number;
  /** The node's pods it covers, "namespace/name", sorted. */
  pods: string[];
  /** True when it allows no disruption now: the drain waits on it. */
  blocks: boolean;
}

/**
 * Kubernetes label selector semantics. For policy/v1 budgets an empty selector selects every pod of the
 * namespace and a missing one selects none, so callers pass `undefined` for "none".
 */
export function selectorMatches(selector: LabelSelector | null | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const key = e.key ?? '';
    const has = Object.hasOwn(labels, key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // An operator the API server would have refused: select nothing rather than guess.
        return false;
    }
  }
  return true;
}

/** Pods `kubectl drain --ignore-daemonsets` evicts: running or pending, not DaemonSet-owned, not static (mirror) pods. */
export function evictedByDrain(pod: DrainablePod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false;
  return !(pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet' && o.controller !== false);
}

/** The budgets covering the pods a drain of this node would evict, most blocking first, then by name. */
export function budgetsOnNode(pods: readonly DrainablePod[], budgets: readonly KubePodDisruptionBudget[]): BudgetOnNode[] {
  const evicted = pods.filter(evictedByDrain);
  const out: BudgetOnNode[] = [];
  for (const b of budgets) {
    const namespace = b.metadata?.namespace ?? '';
    const covered = evicted
      .filter((p) => (p.metadata?.namespace ?? '') === namespace && selectorMatches(b.spec?.selector, p.metadata?.labels ?? {}))
      .map((p) => `${namespace}/${p.metadata?.name ?? ''}`)
      .sort();
    if (covered.length === 0) continue;
    const disruptionsAllowed = Math.max(0, b.status?.disruptionsAllowed ?? 0);
    out.push({ namespace, name: b.metadata?.name ?? '', disruptionsAllowed, pods: covered, blocks: disruptionsAllowed === 0 });
  }
  return out.sort((a, b) => Number(b.blocks) - Number(a.blocks) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}
