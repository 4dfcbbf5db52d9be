/**
 * @module
 * `kubectl winprefix why pod [NS/]NAME`: a pod's address story, stage by stage. The code that runs it (run.ts)
 * is loaded only when it runs.
 */
import type { CommandSpec, FlagSpec, ParsedCommand } from '../cli.ts';
import { COLOR_FLAG, colorOf, CONFIGMAP_FLAG, configMapOf, outputOf, type ColorMode } from '../common-flags.ts';
import { CONNECTION_FLAGS, connectionOf, KUBE_FLAGS, type ConnectionOp } from '../connection-flags.ts';
import { CliError } from '../io.ts';

export const WHY_OUTPUTS = ['table', 'json', 'yaml'] as const;

export interface WhyPodOp extends ConnectionOp {
  /** From NS/NAME; else -n; else the kubeconfig context's namespace (resolved when connecting). */
  namespace: string | null;
  podName: string;
  output: (typeof WHY_OUTPUTS)[number];
  color: ColorMode;
  configMap: { namespace: string; name: string };
}

const WHY_FLAGS = {
  output: { alias: 'o', type: 'string', choices: WHY_OUTPUTS, default: 'table', describe: 'table for people; json and yaml follow the PodAddressStory schema (docs/plugin-commands.md)' },
  color: COLOR_FLAG,
  configmap: CONFIGMAP_FLAG,
} as const satisfies Record<string, FlagSpec>;

const NAME = /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

export function parseWhyPodArgs(args: ParsedCommand): WhyPodOp {
  const hint = { hint: "See 'kubectl winprefix why pod --help' for usage." };
  const given = args.positionals[0] ?? '';
  if (given === '') throw new CliError('name the pod: kubectl winprefix why pod [NAMESPACE/]NAME (or -n NAMESPACE NAME)', undefined, hint);
  const parts = given.split('/');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p))) throw new CliError(`"${given}" is not a pod name or NAMESPACE/NAME`, undefined, hint);
  const { values } = args;
  const connection = connectionOf(values);
  const fromArg = parts.length === 2 ? parts[0]! : null;
  const fromFlag = connection.kube.namespace;
  if (fromArg && fromFlag && fromFlag !== fromArg) {
    throw new CliError(`the pod is named in namespace ${fromArg} but -n says ${fromFlag}: give one of them`, undefined, hint);
  }
  return {
    namespace: fromArg ?? fromFlag ?? null,
    podName: parts.at(-1)!,
    output: outputOf(values, WHY_OUTPUTS, 'table'),
    color: colorOf(values),
    configMap: configMapOf(values),
    ...connection,
  };
}

export const whyPodCommand: CommandSpec = {
  path: ['why', 'pod'],
  aliases: ['pods', 'po'],
  summary: "A pod's address story stage by stage: selects Windows, request added, scheduled on a managed node, address assigned (where from, when, how long), on the ENI, sandbox up",
  positionals: [{ name: 'pod', describe: 'The pod, as NAME (in -n or the context namespace) or NAMESPACE/NAME' }],
  flags: { ...WHY_FLAGS, ...CONNECTION_FLAGS, namespace: { ...KUBE_FLAGS.namespace, describe: "The pod's namespace (default: the kubeconfig context's)" } },
  examples: [
    ['$0 why pod web-7d9f8-x2k4q', 'in the context namespace'],
    ['$0 why pod payments/api-0 -o json | jq .stoppedAt', 'the stage that stopped it, for scripts'],
  ],
  epilogue: 'Exit status: 0 the pod has a working address (its sandbox may still be starting), 1 a stage failed or waits, 2 or more the tool failed or a stage could not be verified (EC2 not read).',
  async run(args, io) {
    const op = parseWhyPodArgs(args);
    const { runWhyPod } = await import('./run.ts');
    return runWhyPod(op, io);
  },
};
