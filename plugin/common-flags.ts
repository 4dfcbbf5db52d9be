/**
 * @module
 * Flags several commands share beyond the connection flags (connection-flags.ts), declared and read once:
 * `--color`, `--configmap`, `-w/--watch`, the reading of `-o`, and what the commands about many nodes
 * (`get nodes`, `check`, `subnets`, `migrate`) share: `-l` to pick nodes, and `-n` accepted and ignored.
 */
import { DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE } from '../pkg/core/contract.ts';
import { allValues, lastValue, type FlagSpec, type ParsedCommand } from './cli.ts';
import { CONNECTION_FLAGS, connectionOf, KUBE_FLAGS, type ConnectionOp } from './connection-flags.ts';
import { CliError, type CliIO } from './io.ts';
import { PLAIN, RICH, styleFor, type Style } from './render/style.ts';

export const COLOR_MODES = ['auto', 'always', 'never'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

export const COLOR_FLAG = {
  type: 'string',
  choices: COLOR_MODES,
  default: 'auto',
  describe: 'Colour and Unicode bars: auto (a terminal without NO_COLOR), always or never',
} as const satisfies FlagSpec;

export const CONFIGMAP_FLAG = {
  type: 'string',
  default: `${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME}`,
  describe: 'The IPAM ConfigMap as NAMESPACE/NAME, for clusters where the controller reads another one',
} as const satisfies FlagSpec;

export const WATCH_FLAG = {
  alias: 'w',
  type: 'boolean',
  describe: 'Keep watching: redraw in place on a terminal as node, pod and status changes arrive; in a pipe, print what changed',
} as const satisfies FlagSpec;

/** `-o`, checked against the command's formats. */
export function outputOf<const F extends readonly string[]>(values: ParsedCommand['values'], formats: F, fallback: F[number]): F[number] {
  const output = lastValue(values, 'output') ?? fallback;
  if (!formats.includes(output)) throw new CliError(`-o ${output} is not supported: use ${formats.join(', ')}`);
  return output;
}

export function colorOf(values: ParsedCommand['values']): ColorMode {
  const color = lastValue(values, 'color') ?? 'auto';
  if (!(COLOR_MODES as readonly string[]).includes(color)) throw new CliError(`--color ${color} is not supported: use ${COLOR_MODES.join(', ')}`);
  return color as ColorMode;
}

/** --configmap as NAMESPACE/NAME. */
export function configMapOf(values: ParsedCommand['values']): { namespace: string; name: string } {
  const text = lastValue(values, 'configmap') ?? `${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME}`;
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(text);
  if (!m) throw new CliError(`--configmap "${text}" is not NAMESPACE/NAME (for example kube-system/amazon-vpc-cni)`);
  return { namespace: m[1]!, name: m[3]! };
}

/** The styling a run uses: --color always or never, else what the terminal allows. */
export function styleOf(color: ColorMode, io: CliIO): Style {
  return color === 'always' ? RICH : color === 'never' ? PLAIN : styleFor(io);
}

/** -n means nothing to a list of nodes; accepted, as kubectl accepts it, and said so. */
export const CLUSTER_WIDE_NAMESPACE_FLAG = {
  ...KUBE_FLAGS.namespace,
  describe: 'Accepted and ignored, as kubectl does for nodes: nodes and their pods are read in every namespace',
} as const satisfies FlagSpec;

/** The connection flags of a command about many nodes: -n as {@link CLUSTER_WIDE_NAMESPACE_FLAG}. */
export const CLUSTER_WIDE_CONNECTION_FLAGS = { ...CONNECTION_FLAGS, namespace: CLUSTER_WIDE_NAMESPACE_FLAG } as const satisfies Record<string, FlagSpec>;

/** The connection of a command about many nodes: -n, accepted, plays no part. */
export function clusterWideConnectionOf(values: ParsedCommand['values']): ConnectionOp {
  const { kube, ...rest } = connectionOf(values);
  const { namespace: _ignored, ...kubeFlags } = kube;
  return { ...rest, kube: kubeFlags };
}

export const SELECTOR_FLAG = {
  alias: 'l',
  type: 'string',
  describe:
    'Only the Windows nodes that also match this label selector (=, ==, !=, in, notin, exists; repeat -l or join with commas), e.g. -l eks.amazonaws.com/nodegroup=win-a',
} as const satisfies FlagSpec;

/** -l, every one given ANDed; null when none. */
export function selectorOf(values: ParsedCommand['values']): string | null {
  const selectors = allValues(values, 'selector');
  if (selectors.some((s) => s.trim() === '')) throw new CliError('-l/--selector needs a value, e.g. -l node.kubernetes.io/instance-type=m5.large');
  return selectors.length > 0 ? selectors.join(',') : null;
}
