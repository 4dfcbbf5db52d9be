/**
 * @module
 * `kubectl winprefix check [NODE...]`: every finding `describe node` knows, on every Windows node (or the
 * ones selected), plus the ones only the whole cluster shows, with an exit code for CI and cron. The code that
 * runs it (run.ts) is loaded only when it runs.
 */
import type { CommandSpec, FlagSpec, ParsedCommand } from '../cli.ts';
import { CLUSTER_WIDE_CONNECTION_FLAGS, clusterWideConnectionOf, COLOR_FLAG, colorOf, CONFIGMAP_FLAG, configMapOf, outputOf, SELECTOR_FLAG, selectorOf, type ColorMode } from '../common-flags.ts';
import type { ConnectionOp } from '../connection-flags.ts';

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
  return {
    nodeNames: [...new Set(args.positionals)],
    selector: selectorOf(values),
    output: outputOf(values, CHECK_OUTPUTS, 'table'),
    color: colorOf(values),
    configMap: configMapOf(values),
    ...clusterWideConnectionOf(values),
  };
}

export const checkCommand: CommandSpec = {
  path: ['check'],
  summary: 'Audit every Windows node (or -l / NODE...): every describe node finding plus cross-node ones (an address on pods of two nodes, a prefix on two ENIs); exit 0/1/2 for CI',
  positionals: [{ name: 'nodes', describe: 'Only these nodes (default: every Windows node)', variadic: true }],
  flags: { ...CHECK_FLAGS, ...CLUSTER_WIDE_CONNECTION_FLAGS },
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
