/**
 * @module
 * Turning `simulate`'s flags into simulation input: the pod-count list, target flags, and the
 * ConfigMap manifest given with --config. Every bad value becomes a {@link CliError} naming it.
 */
import { load } from 'js-yaml';
import { ConfigKeys } from '../../pkg/core/contract.ts';
import { resolveClusterConfig, MAX_TARGET, TARGET_KEYS } from '../../pkg/core/ipam/config.ts';
import type { ClusterIpamConfig, Mode } from '../../pkg/core/ipam/types.ts';
import { CliError } from '../io.ts';

/** Upper bound for one --pods list, so a typo like 0..1000000000 fails fast instead of hanging. */
const MAX_POD_COUNTS = 10_000;

/** "0,5,17,26", "0..110", or both mixed ("0..3,10"). Order is kept; duplicates are dropped. */
export function parsePodCounts(text: string): number[] {
  const counts: number[] = [];
  const seen = new Set<number>();
  const add = (n: number) => {
    if (!seen.has(n)) {
      seen.add(n);
      counts.push(n);
    }
  };
  const whole = (part: string, item: string): number => {
    if (!/^\d{1,6}$/.test(part)) throw new CliError(`--pods: "${item}" is not a pod count or range (use e.g. 0,5,17 or 0..110)`);
    return Number(part);
  };
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const range = /^(.*)\.\.(.*)$/.exec(item);
    if (range) {
      const from = whole(range[1]!.trim(), item);
      const to = whole(range[2]!.trim(), item);
      if (from > to) throw new CliError(`--pods: range "${item}" runs backwards (write ${to}..${from})`);
      if (to - from + counts.length >= MAX_POD_COUNTS) throw new CliError(`--pods: "${item}" asks for more than ${MAX_POD_COUNTS} simulations`);
      for (let n = from; n <= to; n++) add(n);
    } else {
      add(whole(item, item));
    }
  }
  return counts;
}

/** A target flag: a whole number, 0 or more. */
export function parseTargetFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > MAX_TARGET) {
    throw new CliError(`--${flag}: "${value}" is not a whole number between 0 and ${MAX_TARGET}`);
  }
  return Number(value);
}

/** Reads a ConfigMap manifest (YAML or JSON) and returns its `.data`, checked the way the API server would. */
export function configMapData(text: string, file: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = load(text);
  } catch (err) {
    throw new CliError(`--config ${file}: not YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CliError(`--config ${file}: expected a ConfigMap manifest (an object with kind: ConfigMap and data)`);
  }
  const manifest = doc as Record<string, unknown>;
  if (manifest.kind !== 'ConfigMap') {
    throw new CliError(`--config ${file}: kind is ${JSON.stringify(manifest.kind)}, expected ConfigMap (e.g. kubectl get cm -n kube-system amazon-vpc-cni -o yaml)`);
  }
  const data = manifest.data ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new CliError(`--config ${file}: data must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string') {
      throw new CliError(`--config ${file}: data.${key} is ${JSON.stringify(value)}, but ConfigMap values must be strings: quote it ("${String(value)}")`);
    }
    out[key] = value;
  }
  return out;
}

export interface Overrides {
  mode: Mode | undefined;
  warmIPTarget: number | undefined;
  minimumIPTarget: number | undefined;
  warmPrefixTarget: number | undefined;
}

/**
 * The cluster config the simulation uses: the ConfigMap resolved exactly as the controller does,
 * then the flags on top. Without a ConfigMap the node is simulated in prefix mode.
 */
export function clusterConfigFor(data: Record<string, string> | undefined, overrides: Overrides): ClusterIpamConfig {
  const cluster = resolveClusterConfig(
    data ?? { [ConfigKeys.enableWindowsIpam]: 'true', [ConfigKeys.enableWindowsPrefixDelegation]: 'true' },
  );
  const result: ClusterIpamConfig = { ...cluster, sources: { ...cluster.sources }, problems: [...cluster.problems] };
  if (overrides.mode !== undefined) result.prefixDelegationEnabled = overrides.mode === 'prefix';
  const flags = [
    ['warmIPTarget', 'warm-ip-target'],
    ['minimumIPTarget', 'minimum-ip-target'],
    ['warmPrefixTarget', 'warm-prefix-target'],
  ] as const;
  for (const [name, flag] of flags) {
    const value = overrides[name];
    if (value === undefined) continue;
    result[name] = value;
    result.sources[name] = `--${flag}`;
    // A flag replaces the ConfigMap's value, so problems about that key no longer apply.
    result.problems = result.problems.filter((p) => !TARGET_KEYS[name].includes(p.key));
  }
  return result;
}
