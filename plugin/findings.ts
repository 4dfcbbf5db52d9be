/**
 * @module
 * What every checking command of the plugin reports: findings, one per cause, each naming the pods it
 * affects. `describe node` uses it today; `check`, `get nodes` and `why pod` build on the same model, so
 * a script reads every command's findings the same way and a person never gets 39 copies of one cause.
 *
 * A finding's `kind` is the stable name of the disagreement (each command lists its own), `cause` the
 * stable name of why it happens when that is known (`insufficient-cidr-blocks`, `throttled`, ...), and
 * `pods` every pod it is about, sorted; the human output shows the first few and how many more.
 */
import { arr, obj, orNull, str } from '../pkg/core/schema/shape.ts';
import { naturalCompare } from './render/text.ts';

export interface PodRef {
  namespace: string;
  name: string;
}

export const POD_REF_SCHEMA = obj({ namespace: str, name: str });

/** The fields every finding has, whatever its command: spread into each command's schema with its own kinds. */
export const FINDING_FIELDS = {
  /** Stable name of the cause when it is known (`insufficient-cidr-blocks`), else null. */
  cause: orNull(str),
  /** What the finding is about: "pod ns/name", "39 pods", "prefix 10.0.1.16/28", "node capacity". */
  subject: str,
  /** The particulars, in one paragraph. */
  message: str,
  /** What it means for the cluster. */
  meaning: str,
  /** What to do, in words. */
  action: str,
  /** Commands to run for the action, each complete (copy and paste). */
  commands: arr(str),
  /** Every pod this finding is about, sorted by namespace and name (natural order). */
  pods: arr(POD_REF_SCHEMA),
} as const;

export interface Finding<K extends string = string> {
  kind: K;
  cause: string | null;
  subject: string;
  message: string;
  meaning: string;
  action: string;
  commands: string[];
  pods: PodRef[];
}

export const podName = (p: PodRef): string => `${p.namespace}/${p.name}`;

export function comparePods(a: PodRef, b: PodRef): number {
  return naturalCompare(a.namespace, b.namespace) || naturalCompare(a.name, b.name);
}

export function sortedPods(pods: readonly PodRef[]): PodRef[] {
  return pods.map((p) => ({ namespace: p.namespace, name: p.name })).sort(comparePods);
}

/**
 * "default/a, default/b and 37 more" (or all of them when `shown` covers the list): for messages,
 * which must stay short when a cause hits a hundred pods; the JSON `pods` field lists them all.
 */
export function podSummary(pods: readonly PodRef[], shown = 3): string {
  const names = pods.slice(0, shown).map(podName);
  const rest = pods.length - names.length;
  if (rest <= 0) return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `${names.join(', ')} and ${rest} more`;
}

/** Groups items by key, keeping the first-seen order of keys: one finding per group. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Array<{ key: string; items: T[] }> {
  return groupInOrder(items, key);
}

/** Groups items by key, the largest group first (ties in first-seen order): the cause hitting most pods leads. */
export function groupLargestFirst<T>(items: readonly T[], key: (item: T) => string): Array<{ key: string; items: T[] }> {
  return groupInOrder(items, key).sort((a, b) => b.items.length - a.items.length);
}

function groupInOrder<T>(items: readonly T[], key: (item: T) => string): Array<{ key: string; items: T[] }> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return [...groups].map(([k, list]) => ({ key: k, items: list }));
}
