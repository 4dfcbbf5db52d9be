/**
 * @module
 * `kubectl winprefix get nodes [NAME...]`: its declaration and the parse to a {@link GetNodesOp}. The code that
 * runs it (run.ts, watch.ts) is loaded only when it runs.
 */
import { lastValue, type CommandSpec, type FlagSpec, type ParsedCommand } from '../cli.ts';
import { CLUSTER_WIDE_CONNECTION_FLAGS, clusterWideConnectionOf, COLOR_FLAG, colorOf, CONFIGMAP_FLAG, configMapOf, outputOf, SELECTOR_FLAG, selectorOf, WATCH_FLAG, type ColorMode } from '../common-flags.ts';
import type { ConnectionOp } from '../connection-flags.ts';
import { CliError } from '../io.ts';
import { SORT_KEYS, type SortKey } from './rows.ts';

export const GET_NODES_OUTPUTS = ['table', 'wide', 'json', 'yaml', 'name'] as const;
export type GetNodesOutput = (typeof GET_NODES_OUTPUTS)[number];

export interface GetNodesOp extends ConnectionOp {
  nodeNames: string[];
  selector: string | null;
  output: GetNodesOutput;
  sortBy: SortKey;
  noHeaders: boolean;
  ec2: boolean;
  watch: boolean;
  color: ColorMode;
  configMap: { namespace: string; name: string };
}


const GET_NODES_FLAGS = {
  output: {
    alias: 'o',
    type: 'string',
    choices: GET_NODES_OUTPUTS,
    default: 'table',
    describe: 'table fits the terminal; wide adds instance type, zone, instance, slots and where the counts came from; json and yaml follow the WindowsNodeList schema (docs/plugin-commands.md); name prints node/NAME',
  },
  selector: SELECTOR_FLAG,
  'sort-by': { type: 'string', choices: Object.keys(SORT_KEYS), default: 'name', describe: 'Order of the rows (ascending, unknown values last)' },
  'no-headers': { type: 'boolean', describe: 'No heading, totals or legend: rows only, for scripts' },
  ec2: { type: 'boolean', describe: 'Read EC2 too (one DescribeNetworkInterfaces per 200 nodes): occupancy and findings from the ENIs, not only the controller status' },
  watch: WATCH_FLAG,
  color: COLOR_FLAG,
  configmap: CONFIGMAP_FLAG,
} as const satisfies Record<string, FlagSpec>;

export function parseGetNodesArgs(args: ParsedCommand): GetNodesOp {
  const { values } = args;
  const output = outputOf(values, GET_NODES_OUTPUTS, 'table');
  const sortBy = lastValue(values, 'sort-by') ?? 'name';
  if (!Object.hasOwn(SORT_KEYS, sortBy)) throw new CliError(`--sort-by ${sortBy} is not supported: use ${Object.keys(SORT_KEYS).join(', ')}`);
  const selector = selectorOf(values);
  const watch = values.watch === true;
  if (watch && output === 'name') throw new CliError('-o name lists names once; --watch takes -o table, wide, json or yaml');
  return {
    nodeNames: [...new Set(args.positionals)],
    selector,
    output,
    sortBy: sortBy as SortKey,
    noHeaders: values['no-headers'] === true,
    ec2: values.ec2 === true,
    watch,
    color: colorOf(values),
    configMap: configMapOf(values),
    ...clusterWideConnectionOf(values),
  };
}

export const getNodesCommand: CommandSpec = {
  path: ['get', 'nodes'],
  aliases: ['node', 'no'],
  summary: 'Every Windows node at a glance: mode, prefixes, addresses, pods with and without one, capacity, findings, who manages it',
  positionals: [{ name: 'names', describe: 'Only these nodes (default: every Windows node)', variadic: true }],
  flags: { ...GET_NODES_FLAGS, ...CLUSTER_WIDE_CONNECTION_FLAGS },
  examples: [
    ['$0 get nodes', 'every Windows node, from node and pod objects and the controller status'],
    ['$0 get nodes --ec2 --sort-by free', 'with EC2 read, the nodes shortest of free addresses first'],
    ['$0 get nodes -w', 'redrawn as pods come and go (Ctrl-C to quit)'],
    ['$0 get nodes -l node.kubernetes.io/instance-type=m5.large -o json | jq .totals', 'totals for one instance type'],
  ],
  epilogue:
    'Exit status: 0 listed (findings are counted, not judged: use check), 2 or more the tool failed, or --ec2 could not read EC2 for some node (its row is printed without). Width: COLUMNS, else the terminal, else 100.',
  async run(args, io) {
    const op = parseGetNodesArgs(args);
    if (op.watch) {
      const { watchGetNodes } = await import('./watch.ts');
      return watchGetNodes(op, io);
    }
    const { runGetNodes } = await import('./run.ts');
    return runGetNodes(op, io);
  },
};
