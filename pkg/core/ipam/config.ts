/**
 * @module
 * ConfigMap data -> effective IPAM configuration, in two steps: {@link resolveClusterConfig}
 * parses the cluster-wide ConfigMap once, {@link resolveNodeConfig} applies mode, defaults and
 * capacity clamping for one node. Neither throws: every value we cannot use becomes a
 * {@link ConfigProblem} that says what was used instead.
 *
 * Decisions (documented in docs/simulate.md, "How the configuration is resolved"):
 * - `windows-*` keys win over the deprecated legacy keys when they hold a valid value; an
 *   invalid `windows-*` value falls back to a valid legacy one. Upstream lets a present legacy
 *   key win even when invalid (docs/upstream-differences.md #3).
 * - An invalid value (not a whole number, negative, too large, empty) counts as absent and
 *   falls back to the documented default in every mode (upstream starves instead: docs/upstream-differences.md #2).
 * - Targets apply whatever the node type (upstream silently drops them: docs/upstream-differences.md #4).
 */
import { ConfigKeys } from '../contract.ts';
import { nominalCapacity } from './state.ts';
import type { ClusterIpamConfig, ConfigProblem, Mode, NodeIpamConfig, NodeShape } from './types.ts';

/** Upstream's documented defaults (docs/windows/*_config_options.md, pkg/config constants). */
export const Defaults = {
  secondary: { warmIPTarget: 3, minimumIPTarget: 3 },
  prefix: { warmIPTarget: 1, minimumIPTarget: 3 },
} as const;

/** Larger values are certainly typos (no ENI holds this many addresses); they are treated as invalid. */
export const MAX_TARGET = 1_000_000;

/** The values that turn a flag on (exported for the admission policies, which read `enable-windows-ipam` in CEL). */
export const TRUE_WORDS: ReadonlySet<string> = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

type TargetName = 'warmIPTarget' | 'minimumIPTarget' | 'warmPrefixTarget';

/** Cluster-level wording; the node level, which knows the mode, names the default's value. */
const DEFAULT_APPLIES = 'the default applies';

/** For each target: the preferred key first, then the deprecated legacy key. */
export const TARGET_KEYS: Readonly<Record<TargetName, readonly [string, string]>> = {
  warmIPTarget: [ConfigKeys.windowsWarmIPTarget, ConfigKeys.warmIPTarget],
  minimumIPTarget: [ConfigKeys.windowsMinimumIPTarget, ConfigKeys.minimumIPTarget],
  warmPrefixTarget: [ConfigKeys.windowsWarmPrefixTarget, ConfigKeys.warmPrefixTarget],
};

/** Go's strconv.ParseBool word set, which upstream uses; anything else is reported. */
function parseFlag(data: Readonly<Record<string, string>>, key: string, problems: ConfigProblem[]): boolean {
  const value = data[key];
  if (value === undefined) return false;
  if (TRUE_WORDS.has(value)) return true;
  if (!FALSE_WORDS.has(value)) {
    problems.push({ key, value, message: `"${value}" is not a boolean (use "true" or "false"); treated as false` });
  }
  return false;
}

type ParsedTarget = { ok: true; value: number } | { ok: false; why: string };

function parseTarget(value: string): ParsedTarget {
  if (value === '') return { ok: false, why: 'is empty' };
  if (/^-\d+$/.test(value)) return { ok: false, why: 'is negative' };
  if (!/^\+?\d+$/.test(value)) return { ok: false, why: 'is not a whole number' };
  const n = Number(value);
  if (n > MAX_TARGET) return { ok: false, why: `is larger than ${MAX_TARGET}` };
  return { ok: true, value: n };
}

function resolveTarget(
  data: Readonly<Record<string, string>>,
  name: TargetName,
  problems: ConfigProblem[],
): { value: number | undefined; source: string | undefined } {
  const [preferred, legacy] = TARGET_KEYS[name];
  const found: Array<{ key: string; value: number }> = [];
  const invalid: ConfigProblem[] = [];
  for (const key of [preferred, legacy]) {
    const raw = data[key];
    if (raw === undefined) continue;
    const parsed = parseTarget(raw);
    if (parsed.ok) found.push({ key, value: parsed.value });
    else invalid.push({ key, value: raw, message: `"${raw}" ${parsed.why}` });
  }
  const chosen = found[0];
  for (const p of invalid) {
    const instead = chosen ? `${chosen.key}="${chosen.value}" applies` : DEFAULT_APPLIES;
    problems.push({ ...p, message: `${p.message}; ignored, ${instead}` });
  }
  if (!chosen) return { value: undefined, source: undefined };
  const other = found[1];
  if (other && other.value !== chosen.value) {
    problems.push({
      key: other.key,
      value: String(other.value),
      message: `conflicts with ${chosen.key}="${chosen.value}"; ${chosen.key} wins (${other.key} is deprecated, remove it)`,
    });
  }
  return { value: chosen.value, source: chosen.key };
}

/**
 * Parses the ConfigMap's `.data`. `undefined` means the ConfigMap does not exist, which upstream
 * treats as "Windows IPAM disabled".
 */
export function resolveClusterConfig(data: Readonly<Record<string, string>> | undefined): ClusterIpamConfig {
  const problems: ConfigProblem[] = [];
  if (data === undefined) {
    return {
      found: false,
      ipamEnabled: false,
      prefixDelegationEnabled: false,
      warmIPTarget: undefined,
      minimumIPTarget: undefined,
      warmPrefixTarget: undefined,
      sources: {},
      problems,
    };
  }
  const ipamEnabled = parseFlag(data, ConfigKeys.enableWindowsIpam, problems);
  const prefixDelegationEnabled = parseFlag(data, ConfigKeys.enableWindowsPrefixDelegation, problems);
  const warm = resolveTarget(data, 'warmIPTarget', problems);
  const min = resolveTarget(data, 'minimumIPTarget', problems);
  const prefix = resolveTarget(data, 'warmPrefixTarget', problems);
  const sources: ClusterIpamConfig['sources'] = {};
  if (warm.source) sources.warmIPTarget = warm.source;
  if (min.source) sources.minimumIPTarget = min.source;
  if (prefix.source) sources.warmPrefixTarget = prefix.source;
  return {
    found: true,
    ipamEnabled,
    prefixDelegationEnabled,
    warmIPTarget: warm.value,
    minimumIPTarget: min.value,
    warmPrefixTarget: prefix.value,
    sources,
    problems,
  };
}

function chooseMode(cluster: ClusterIpamConfig, node: NodeShape): { mode: Mode; reason: string } {
  if (!cluster.prefixDelegationEnabled) {
    return {
      mode: 'secondary',
      reason: cluster.found
        ? `${ConfigKeys.enableWindowsPrefixDelegation} is not "true": one secondary IP per slot`
        : 'the IPAM ConfigMap is missing: one secondary IP per slot',
    };
  }
  if (!node.prefixCapable) {
    return {
      mode: 'secondary',
      reason: `${node.instanceType} is not a Nitro instance type, so it cannot hold /28 prefixes: one secondary IP per slot`,
    };
  }
  return { mode: 'prefix', reason: `${ConfigKeys.enableWindowsPrefixDelegation} is "true": one /28 prefix (16 addresses) per slot` };
}

/** The key a target was read from, for messages; the preferred key when it was not set. */
function keyOf(cluster: ClusterIpamConfig, name: TargetName): string {
  return cluster.sources[name] ?? TARGET_KEYS[name][0];
}

/**
 * The effective configuration for one node. Secondary mode follows upstream's documented
 * secondary-IP table (defaults 3/3, a warm target of 0 means 1); prefix mode follows the
 * prefix-delegation table (a target counts only when > 0; defaults 1/3; warm/min IP targets take
 * precedence over the warm prefix target).
 */
export function resolveNodeConfig(cluster: ClusterIpamConfig, node: NodeShape): NodeIpamConfig {
  const { mode, reason } = chooseMode(cluster, node);
  const problems: ConfigProblem[] = [...cluster.problems];
  const capacity = nominalCapacity(mode, node.slots);
  let warm: number;
  let min: number;
  let prefixTarget = 0;
  let sizing: NodeIpamConfig['sizing'] = 'ip-targets';

  if (mode === 'secondary') {
    warm = cluster.warmIPTarget ?? Defaults.secondary.warmIPTarget;
    // On-demand allocation is not supported: upstream documents that a warm target of 0 means 1.
    if (warm === 0) {
      warm = 1;
      problems.push({
        key: keyOf(cluster, 'warmIPTarget'),
        value: '0',
        message: 'a warm IP target of 0 is not supported in secondary mode; 1 is used',
      });
    }
    min = cluster.minimumIPTarget ?? Defaults.secondary.minimumIPTarget;
    if (cluster.warmPrefixTarget !== undefined) {
      problems.push({
        key: keyOf(cluster, 'warmPrefixTarget'),
        value: String(cluster.warmPrefixTarget),
        message: 'ignored: the warm prefix target applies only in prefix mode, and this node is in secondary mode',
      });
    }
  } else {
    const warmSet = (cluster.warmIPTarget ?? 0) > 0;
    const minSet = (cluster.minimumIPTarget ?? 0) > 0;
    const prefixSet = (cluster.warmPrefixTarget ?? 0) > 0;
    if (!warmSet && !minSet && prefixSet) {
      sizing = 'prefix-target';
      warm = 0;
      min = 0;
      prefixTarget = cluster.warmPrefixTarget ?? 0;
    } else {
      warm = warmSet ? (cluster.warmIPTarget ?? 0) : Defaults.prefix.warmIPTarget;
      min = minSet ? (cluster.minimumIPTarget ?? 0) : Defaults.prefix.minimumIPTarget;
      if (prefixSet) {
        problems.push({
          key: keyOf(cluster, 'warmPrefixTarget'),
          value: String(cluster.warmPrefixTarget),
          message: 'ignored: warm and minimum IP targets take precedence over the warm prefix target',
        });
      }
      for (const name of ['warmIPTarget', 'minimumIPTarget'] as const) {
        if (cluster[name] === 0) {
          const fallback = name === 'warmIPTarget' ? warm : min;
          problems.push({
            key: keyOf(cluster, name),
            value: '0',
            message: `0 is not supported in prefix mode; ${fallback} is used`,
          });
        }
      }
    }
  }

  const clamp = (name: TargetName, value: number, limit: number, unit: string): number => {
    if (value <= limit) return value;
    // A default above a small node's capacity is no problem with the ConfigMap: clamp it quietly.
    if (cluster.sources[name] === undefined) return limit;
    problems.push({
      key: keyOf(cluster, name),
      value: String(value),
      message: `larger than this node's capacity of ${limit} ${unit}; ${limit} is used`,
    });
    return limit;
  };
  warm = clamp('warmIPTarget', warm, capacity, 'addresses');
  min = clamp('minimumIPTarget', min, capacity, 'addresses');
  prefixTarget = clamp('warmPrefixTarget', prefixTarget, node.slots, 'prefixes');

  // The cluster level could only say "the default applies"; here we know what the node uses instead.
  const instead = (name: TargetName): string => {
    if (name === 'warmPrefixTarget') {
      return mode === 'secondary'
        ? 'the warm prefix target applies only in prefix mode'
        : `the warm and minimum IP targets (${warm}, ${min}) size the pool`;
    }
    if (sizing === 'prefix-target') return `the warm prefix target (${prefixTarget}) sizes the pool`;
    return `the ${mode}-mode default ${name === 'warmIPTarget' ? warm : min} is used`;
  };
  const named = problems.map((p) => {
    const name = (Object.keys(TARGET_KEYS) as TargetName[]).find((n) => TARGET_KEYS[n].includes(p.key));
    if (!name || !p.message.endsWith(DEFAULT_APPLIES)) return p;
    return { ...p, message: `${p.message.slice(0, -DEFAULT_APPLIES.length)}${instead(name)}` };
  });

  return {
    mode,
    modeReason: reason,
    sizing,
    warmIPTarget: warm,
    minimumIPTarget: min,
    warmPrefixTarget: prefixTarget,
    capacity,
    problems: named,
  };
}
