/**
 * @module
 * `kubectl winprefix describe node NAME`: the yargs definition and the parse from argv to a
 * {@link DescribeNodeOp} value. The handler is loaded lazily, so `--help` and `simulate` never
 * pay for the Kubernetes and EC2 clients.
 */
import type { Argv } from 'yargs';
import { DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE } from '../../pkg/core/contract.ts';
import type { KubeConnectionOptions } from '../../pkg/adapters/kube/client.ts';
import { awsConnectionFrom, kubeConnectionFrom, withConnectionFlags, type AwsConnection } from '../connection-flags.ts';
import { CliError } from '../io.ts';
import type { CommandRegistrar } from '../main.ts';

export const OUTPUTS = ['table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUTS)[number];
export const COLOR_MODES = ['auto', 'always', 'never'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

export interface DescribeNodeOp {
  nodeName: string;
  output: OutputFormat;
  /** auto: colour on a terminal without NO_COLOR. JSON and YAML are never coloured. */
  color: ColorMode;
  kube: KubeConnectionOptions;
  aws: AwsConnection;
  configMap: { namespace: string; name: string };
}

const DESCRIBE_FLAGS = {
  output: { alias: 'o', type: 'string', choices: OUTPUTS, default: 'table', describe: 'Output format: wide adds columns; json and yaml follow the NodeReport schema (docs/describe-node.md)' },
  color: { type: 'string', choices: COLOR_MODES, default: 'auto', describe: 'Colour and Unicode bars: auto (a terminal without NO_COLOR), always or never' },
  configmap: {
    type: 'string',
    default: `${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME}`,
    describe: 'The IPAM ConfigMap as NAMESPACE/NAME, for clusters where the controller reads another one',
  },
} as const;

export function parseDescribeNodeArgs(argv: Record<string, unknown>): DescribeNodeOp {
  const nodeName = String(argv.name ?? '');
  if (nodeName === '') throw new CliError('name the node: kubectl winprefix describe node NAME');
  const output = String(argv.output ?? 'table');
  if (!(OUTPUTS as readonly string[]).includes(output)) throw new CliError(`-o ${output} is not supported: use ${OUTPUTS.join(', ')}`);
  const color = String(argv.color ?? 'auto');
  if (!(COLOR_MODES as readonly string[]).includes(color)) throw new CliError(`--color ${color} is not supported: use ${COLOR_MODES.join(', ')}`);
  const cmText = String(argv.configmap ?? `${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME}`);
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(cmText);
  if (!m) throw new CliError(`--configmap "${cmText}" is not NAMESPACE/NAME (for example kube-system/amazon-vpc-cni)`);
  return {
    nodeName,
    output: output as OutputFormat,
    color: color as ColorMode,
    kube: kubeConnectionFrom(argv),
    aws: awsConnectionFrom(argv),
    configMap: { namespace: m[1]!, name: m[3]! },
  };
}

function nodeOptions(y: Argv): Argv {
  return withConnectionFlags(
    y
      .positional('name', { type: 'string', describe: 'The Windows node, as in kubectl get nodes' })
      .options(DESCRIBE_FLAGS),
  )
    .example('$0 describe node ip-10-0-1-5.us-west-2.compute.internal', 'mode, prefixes, pods and findings of one node')
    .example('$0 describe node NODE -o json | jq .findings', 'the disagreements, for scripts (exit code 1 when there are any)')
    .example('$0 describe node NODE --context prod --profile prod-readonly', 'another cluster and AWS profile')
    .epilogue('Exit status: 0 Kubernetes and EC2 agree, 1 findings, 2 or more the tool failed (for example the EC2 half could not be read).');
}

export const describeCommand: CommandRegistrar = (root, io, done) =>
  root.command('describe', 'Explain the Windows IPAM state of a node', (y) =>
    y
      .command(
        // Optional in yargs so a missing name gets our message rather than "Not enough non-option arguments".
        ['node [name]', 'nodes', 'no'],
        'Mode, /28 prefixes and their occupancy, where each pod address came from, capacity, config and every disagreement between Kubernetes and EC2',
        nodeOptions,
        async (argv) => {
          const op = parseDescribeNodeArgs(argv);
          const { runDescribeNode } = await import('./run.ts');
          done(await runDescribeNode(op, io));
        },
      )
      .demandCommand(1, 'Name what to describe: kubectl winprefix describe node NAME'),
  );
