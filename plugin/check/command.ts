/**
 * @module
 * `kubectl winprefix check [NODE...]`: every finding `describe node` knows, on every Windows node (or the
 * ones selected), plus the ones only the whole cluster shows, with an exit code for CI and cron. The code that
 * runs it (run.ts) is loaded only when it runs.
 */
import { allValues, type CommandSpec, type FlagSpec, type ParsedCommand } from '../cli.ts';
import { CLUSTER_WIDE_NAMESPACE_FLAG, COLOR_FLAG, colorOf, CONFIGMAP_FLAG, configMapOf, outputOf, SELECTOR_FLAG, type ColorMode } from '../common-flags.ts';
import { awsConnectionFrom, CONNECTION_FLAGS, kubeConnectionFrom } from '../connection-flags.ts';
import { CliError } from '../io.ts';
import type { ConnectionOp } from '../session.ts';

export const CHECK_OUTPUTS = ['table', 'wide', 'json', 'yaml'] as const;

export interface CheckOp extends ConnectionOp {
  nodeNames: string[];
  selector: string | null;
  output: (typeof CHECK_OUTPUTS)[number];
  color: ColorMode;
  configMap: { namespace: string; name: string };
}

const CHECK_FLAGS = {
  output: {
    alias: 'o',
    type: 'string',
    choices: CHECK_OUTPUTS,
    default: 'table',
    describe: 'table lists the nodes with findings and the findings; wide every node; json and yaml follow the ClusterCheck schema (docs/plugin-commands.md)',
  },
  selector: SELECTOR_FLAG,
  color: COLOR_FLAG,
  configmap: CONFIGMAP_FLAG,
} as const satisfies Record<string, FlagSpec>;

export function parseCheckArgs(args: ParsedCommand): CheckOp {
  const { values } = args;
  const selectors = allValues(values, 'selector');
  if (selectors.some((s) => s.trim() === '')) throw new CliError('-l/--selector needs a value, e.g. -l node.kubernetes.io/instance-type=m5.large');
  const kube = kubeConnectionFrom(values);
  const { namespace: _ignored, ...kubeFlags } = kube.flags;
  return {
    nodeNames: [...new Set(args.positionals)],
    selector: selectors.length > 0 ? selectors.join(',') : null,
    output: outputOf(values, CHECK_OUTPUTS, 'table'),
    color: colorOf(values),
    configMap: configMapOf(values),
    kube: kubeFlags,
    requestTimeoutMs: kube.requestTimeoutMs,
    requestTimeoutText: kube.requestTimeoutText,
    aws: awsConnectionFrom(values),
  };
}

export const checkCommand: CommandSpec = {
  path: ['check'],
  summary: 'Audit every Windows node (or -l / NODE...): every describe node finding plus cross-node ones (an address on pods of two nodes, a prefix on two ENIs); exit 0/1/2 for CI',
  positionals: [{ name: 'nodes', describe: 'Only these nodes (default: every Windows node)', variadic: true }],
  flags: { ...CHECK_FLAGS, ...CONNECTION_FLAGS, namespace: CLUSTER_WIDE_NAMESPACE_FLAG },
  examples: [
    ['$0 check', 'the whole cluster; exit 1 when anything disagrees'],
    ['$0 check -o json | jq \'.findings[] | {kind, nodes, pods}\'', 'for machines'],
    ['$0 check -l eks.amazonaws.com/nodegroup=windows-a', 'one node group'],
  ],
  epilogue:
    'Exit status: 0 every node verified (its ENIs read from EC2) and no finding, 1 findings, 2 or more the tool failed or some node could not be verified (its findings so far are still printed). Cost: a few paged Kubernetes lists whatever the number of nodes, and one DescribeNetworkInterfaces per 200 nodes (docs/plugin-commands.md).',
  async run(args, io) {
    const op = parseCheckArgs(args);
    const { runCheck } = await import('./run.ts');
    return runCheck(op, io);
  },
};
