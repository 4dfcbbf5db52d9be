/**
 * @module
 * `kubectl winprefix migrate --to prefix|secondary`: its declaration and the parse to a {@link MigrateOp}.
 * The code that runs it is loaded only when it runs.
 */
import type { Mode } from '../../pkg/core/ipam/types.ts';
import { lastValue, type CommandSpec, type FlagSpec, type ParsedCommand } from '../cli.ts';
import { CLUSTER_WIDE_CONNECTION_FLAGS, clusterWideConnectionOf, COLOR_FLAG, colorOf, CONFIGMAP_FLAG, configMapOf, outputOf, SELECTOR_FLAG, selectorOf, type ColorMode } from '../common-flags.ts';
import type { ConnectionOp } from '../connection-flags.ts';
import { OUTPUTS, type OutputFormat } from '../describe/command.ts';
import { CliError } from '../io.ts';

export interface MigrateOp extends ConnectionOp {
  to: Mode;
  output: OutputFormat;
  color: ColorMode;
  /** -l, added to kubernetes.io/os=windows. */
  selector: string | null;
  configMap: { namespace: string; name: string };
}

const HINT = "See 'kubectl winprefix migrate --help' for usage.";

const MIGRATE_FLAGS = {
  to: { type: 'string', choices: ['prefix', 'secondary'], describe: 'The mode to switch to: prefix (/28 prefix delegation) or secondary (one secondary IP per pod); required' },
  output: {
    alias: 'o',
    type: 'string',
    choices: OUTPUTS,
    default: 'table',
    describe: 'Output format: table fits the terminal; wide adds why for each node and the pods that keep old-mode addresses; json and yaml follow the MigrationPlan schema (docs/planning.md)',
  },
  color: { ...COLOR_FLAG, describe: 'Colour: auto (a terminal without NO_COLOR), always or never' },
  selector: SELECTOR_FLAG,
  configmap: CONFIGMAP_FLAG,
} as const satisfies Record<string, FlagSpec>;

export function parseMigrateArgs(args: ParsedCommand): MigrateOp {
  const { values } = args;
  const to = lastValue(values, 'to');
  if (to === undefined) throw new CliError('--to is required: kubectl winprefix migrate --to prefix|secondary', undefined, { hint: HINT });
  return {
    to: to as Mode,
    output: outputOf(values, OUTPUTS, 'table'),
    color: colorOf(values),
    selector: selectorOf(values),
    configMap: configMapOf(values),
    ...clusterWideConnectionOf(values),
  };
}

export const migrateCommand: CommandSpec = {
  path: ['migrate'],
  summary: 'Dry run of a switch between secondary-IP and prefix mode: what each node would advertise and deliver, what to drain in which order, the ConfigMap change',
  positionals: [],
  flags: { ...MIGRATE_FLAGS, ...CLUSTER_WIDE_CONNECTION_FLAGS },
  examples: [
    ['$0 migrate --to prefix', 'what switching every Windows node to prefix delegation would do, and the plan'],
    ['$0 migrate --to prefix -l eks.amazonaws.com/nodegroup=win-a', 'one node group'],
    ['$0 migrate --to secondary -o json | jq \'.nodes[] | select(.action == "drain") | .name\'', 'the nodes to drain, for scripts'],
  ],
  epilogue:
    'It changes nothing: it reads nodes, pods, PodDisruptionBudgets and the ConfigMap, and from EC2 the nodes\' ENIs and their subnets. Exit status: 0 the switch is safe as planned, 1 findings (a node would advertise more than it can deliver, or a subnet lacks room for the new mode), 2 or more the tool failed or could not read a node.',
  async run(args, io) {
    const op = parseMigrateArgs(args);
    const { runMigrate } = await import('./run.ts');
    return runMigrate(op, io);
  },
};
