/**
 * @module
 * `kubectl winprefix describe node NAME`: its declaration and the parse from the command line to a
 * {@link DescribeNodeOp} value. The code that runs it is loaded only when it runs, so `--help` and
 * `simulate` never pay for it.
 */
import { DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE } from '../../pkg/core/contract.ts';
import { lastValue, type CommandSpec, type FlagSpec, type ParsedCommand } from '../cli.ts';
import { awsConnectionFrom, CONNECTION_FLAGS, kubeConnectionFrom, type AwsConnection } from '../connection-flags.ts';
import { CliError } from '../io.ts';
import type { KubeConnectionFlags } from '../kube/kubeconfig.ts';

export const OUTPUTS = ['table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUTS)[number];
export const COLOR_MODES = ['auto', 'always', 'never'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

export interface DescribeNodeOp {
  nodeName: string;
  output: OutputFormat;
  /** auto: colour on a terminal without NO_COLOR. JSON and YAML are never coloured. */
  color: ColorMode;
  kube: KubeConnectionFlags;
  requestTimeoutMs: number | undefined;
  requestTimeoutText: string;
  aws: AwsConnection;
  configMap: { namespace: string; name: string };
}

const DESCRIBE_FLAGS = {
  output: {
    alias: 'o',
    type: 'string',
    choices: OUTPUTS,
    default: 'table',
    describe: 'Output format: table fits the terminal; wide shows every column and pod; json and yaml follow the NodeReport schema (docs/describe-node.md)',
  },
  color: { type: 'string', choices: COLOR_MODES, default: 'auto', describe: 'Colour and Unicode bars: auto (a terminal without NO_COLOR), always or never' },
  configmap: {
    type: 'string',
    default: `${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME}`,
    describe: 'The IPAM ConfigMap as NAMESPACE/NAME, for clusters where the controller reads another one',
  },
} as const satisfies Record<string, FlagSpec>;

export function parseDescribeNodeArgs(args: ParsedCommand): DescribeNodeOp {
  const nodeName = args.positionals[0] ?? '';
  if (nodeName === '') throw new CliError('name the node: kubectl winprefix describe node NAME', undefined, { hint: "See 'kubectl winprefix describe node --help' for usage." });
  const { values } = args;
  const output = lastValue(values, 'output') ?? 'table';
  if (!(OUTPUTS as readonly string[]).includes(output)) throw new CliError(`-o ${output} is not supported: use ${OUTPUTS.join(', ')}`);
  const color = lastValue(values, 'color') ?? 'auto';
  if (!(COLOR_MODES as readonly string[]).includes(color)) throw new CliError(`--color ${color} is not supported: use ${COLOR_MODES.join(', ')}`);
  const cmText = lastValue(values, 'configmap') ?? `${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME}`;
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(cmText);
  if (!m) throw new CliError(`--configmap "${cmText}" is not NAMESPACE/NAME (for example kube-system/amazon-vpc-cni)`);
  const kube = kubeConnectionFrom(values);
  return {
    nodeName,
    output: output as OutputFormat,
    color: color as ColorMode,
    kube: kube.flags,
    requestTimeoutMs: kube.requestTimeoutMs,
    requestTimeoutText: kube.requestTimeoutText,
    aws: awsConnectionFrom(values),
    configMap: { namespace: m[1]!, name: m[3]! },
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
  ],
  epilogue:
    'Exit status: 0 Kubernetes and EC2 agree, 1 findings, 2 or more the tool failed or could not verify (for example EC2 could not be read, or does not know the instance). Width: COLUMNS, else the terminal, else 100.',
  async run(args, io) {
    const op = parseDescribeNodeArgs(args);
    const { runDescribeNode } = await import('./run.ts');
    return runDescribeNode(op, io);
  },
};
