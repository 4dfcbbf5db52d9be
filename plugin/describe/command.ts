/**
 * @module
 * `kubectl winprefix describe node NAME`: its declaration and the parse from the command line to a
 * {@link DescribeNodeOp} value. The code that runs it is loaded only when it runs, so `--help` and
 * `simulate` never pay for it.
 */
import { type CommandSpec, type FlagSpec, type ParsedCommand } from '../cli.ts';
import { COLOR_FLAG, colorOf, CONFIGMAP_FLAG, configMapOf, outputOf, WATCH_FLAG, type ColorMode } from '../common-flags.ts';
import { CONNECTION_FLAGS, connectionOf, type ConnectionOp } from '../connection-flags.ts';
import { CliError } from '../io.ts';

export const OUTPUTS = ['table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUTS)[number];
export { COLOR_MODES, type ColorMode } from '../common-flags.ts';

export interface DescribeNodeOp extends ConnectionOp {
  nodeName: string;
  output: OutputFormat;
  /** auto: colour on a terminal without NO_COLOR. JSON and YAML are never coloured. */
  color: ColorMode;
  configMap: { namespace: string; name: string };
  /** -w: keep the report current as changes arrive. */
  watch: boolean;
}

const DESCRIBE_FLAGS = {
  output: {
    alias: 'o',
    type: 'string',
    choices: OUTPUTS,
    default: 'table',
    describe: 'Output format: table fits the terminal; wide shows every column and pod; json and yaml follow the NodeReport schema (docs/describe-node.md)',
  },
  color: COLOR_FLAG,
  configmap: CONFIGMAP_FLAG,
  watch: {
    ...WATCH_FLAG,
    describe: 'Keep the report current: redrawn in place on a terminal when the node, its pods, their events or the controller status change (EC2 is read again then, and every minute); in a pipe, printed again when it changed (-o json: one document per line)',
  },
} as const satisfies Record<string, FlagSpec>;

export function parseDescribeNodeArgs(args: ParsedCommand): DescribeNodeOp {
  const nodeName = args.positionals[0] ?? '';
  if (nodeName === '') throw new CliError('name the node: kubectl winprefix describe node NAME', undefined, { hint: "See 'kubectl winprefix describe node --help' for usage." });
  const { values } = args;
  const output = outputOf(values, OUTPUTS, 'table');
  const color: ColorMode = colorOf(values);
  const configMap = configMapOf(values);
  return {
    nodeName,
    output,
    color,
    ...connectionOf(values),
    configMap,
    watch: values.watch === true,
  };
}

export const describeNodeCommand: CommandSpec = {
  path: ['describe', 'node'],
  aliases: ['nodes', 'no'],
  summary: 'Mode, /28 prefixes and their occupancy, where each pod address came from, capacity, config and every disagreement between Kubernetes and EC2',
  positionals: [{ name: 'name', describe: 'The Windows node, as in kubectl get nodes' }],
  flags: { ...DESCRIBE_FLAGS, ...CONNECTION_FLAGS },
  examples: [
    ['$0 describe node ip-10-0-1-5.us-west-2.compute.internal', 'mode, prefixes, pods and findings of one node'],
    ['$0 describe node NODE -o json | jq .findings', 'the disagreements, for scripts (exit code 1 when there are any)'],
    ['$0 describe node NODE --context prod --profile prod-readonly', 'another cluster and AWS profile'],
    ['$0 describe node NODE -w', 'keep it on screen, redrawn as pods come and go'],
  ],
  epilogue:
    'Exit status: 0 Kubernetes and EC2 agree, 1 findings, 2 or more the tool failed or could not verify (for example EC2 could not be read, or does not know the instance). Width: COLUMNS, else the terminal, else 100.',
  async run(args, io) {
    const op = parseDescribeNodeArgs(args);
    if (op.watch) {
      const { watchDescribeNode } = await import('./watch.ts');
      return watchDescribeNode(op, io);
    }
    const { runDescribeNode } = await import('./run.ts');
    return runDescribeNode(op, io);
  },
};
