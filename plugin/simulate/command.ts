/**
 * @module
 * `kubectl winprefix simulate`: offline what-if for warm-pool settings, using the real pool code.
 */
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { bundledInstanceLimits, supportsPrefixDelegation } from '../../pkg/core/ec2/instance-limits.ts';
import { CliError, ExitCode } from '../io.ts';
import type { CommandRegistrar } from '../main.ts';
import { clusterConfigFor, configMapData, parsePodCounts, parseTargetFlag } from './inputs.ts';
import { renderJson, renderTable, renderYaml } from './render.ts';
import { simulate, SimulationError } from './simulate.ts';

const OUTPUTS = ['table', 'json', 'yaml'] as const;
const MODES = ['prefix', 'secondary'] as const;

function options(y: Argv) {
  return y
    .option('instance-type', { type: 'string', demandOption: true, describe: 'EC2 instance type of the Windows node, e.g. c5.large' })
    .option('mode', { type: 'string', describe: 'prefix | secondary; default: what --config says, else prefix' })
    .option('warm-ip-target', { type: 'string', describe: 'free addresses to keep (overrides --config)' })
    .option('minimum-ip-target', { type: 'string', describe: 'addresses to hold at least (overrides --config)' })
    .option('warm-prefix-target', { type: 'string', describe: 'free prefixes to keep (prefix mode; overrides --config)' })
    .option('config', { type: 'string', describe: 'ConfigMap manifest (YAML or JSON), e.g. from kubectl get cm -n kube-system amazon-vpc-cni -o yaml' })
    .option('pods', { type: 'string', demandOption: true, describe: 'pod counts to simulate: 0,5,17,26 or 0..110' })
    .option('output', { alias: 'o', type: 'string', default: 'table', describe: 'table | json | yaml' })
    .example('$0 simulate --instance-type c5.large --pods 0,5,17,26', 'prefixes held at each pod count with default settings')
    .example('$0 simulate --instance-type m5.large --config cm.yaml --pods 0..9 -o json', 'your ConfigMap, as JSON');
}

const STRING_FLAGS = ['instance-type', 'mode', 'warm-ip-target', 'minimum-ip-target', 'warm-prefix-target', 'config', 'pods', 'output'] as const;
type FlagValues = Partial<Record<(typeof STRING_FLAGS)[number], string>>;

/** yargs turns a repeated flag into an array; each of ours takes one value. */
function singleValues(argv: Record<string, unknown>): FlagValues {
  const out: FlagValues = {};
  for (const flag of STRING_FLAGS) {
    const value = argv[flag];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new CliError(`--${flag} is given more than once; give it once${flag === 'pods' ? ' (a list works: --pods 0,5,17)' : ''}`);
    }
    out[flag] = value;
  }
  return out;
}

/** Own check instead of yargs `choices`, whose message spans several lines. */
function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CliError(`${flag}: "${value}" is not one of ${allowed.join(', ')}`);
}

export const simulateCommand: CommandRegistrar = (root, io, done) =>
  root.command(
    'simulate',
    'What-if: how many prefixes or secondary IPs a node holds for a config and pod count (offline)',
    options,
    (parsed) => {
      const argv = singleValues(parsed);
      // Checked before the simulation runs, so a mistyped -o costs no run and is not masked by its errors.
      const output = oneOf('-o/--output', argv.output, OUTPUTS) ?? 'table';
      const instanceType = argv['instance-type']!;
      const limits = bundledInstanceLimits(instanceType);
      if (!limits) throw new CliError(`unknown instance type "${instanceType}" (not in the bundled table; check the spelling, e.g. c5.large)`);
      const podCounts = parsePodCounts(argv.pods!);
      let data: Record<string, string> | undefined;
      if (argv.config !== undefined) {
        let text: string;
        try {
          text = readFileSync(argv.config, 'utf8');
        } catch (err) {
          throw new CliError(`--config ${argv.config}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
        data = configMapData(text, argv.config);
      }
      const mode = oneOf('--mode', argv.mode, MODES);
      if (mode === 'prefix' && !supportsPrefixDelegation(limits)) {
        throw new CliError(`--mode prefix: ${instanceType} is not a Nitro instance type and cannot hold /28 prefixes; use --mode secondary`);
      }
      const cluster = clusterConfigFor(data, {
        mode,
        warmIPTarget: parseTargetFlag('warm-ip-target', argv['warm-ip-target']),
        minimumIPTarget: parseTargetFlag('minimum-ip-target', argv['minimum-ip-target']),
        warmPrefixTarget: parseTargetFlag('warm-prefix-target', argv['warm-prefix-target']),
      });
      let sim;
      try {
        sim = simulate({ limits, cluster, podCounts });
      } catch (err) {
        if (err instanceof SimulationError) throw new CliError(err.message);
        throw err;
      }
      if (mode === undefined && data === undefined && sim.config.mode === 'prefix') {
        sim.config.modeReason = 'no --config or --mode given: prefix mode, one /28 prefix (16 addresses) per slot';
      }
      if (mode !== undefined) {
        sim.config.modeReason = mode === 'prefix' ? '--mode prefix: one /28 prefix (16 addresses) per slot' : '--mode secondary: one secondary IP per slot';
      }
      if (data !== undefined && !cluster.ipamEnabled) {
        io.stderr(`note: enable-windows-ipam is not "true" in ${argv.config}, so no controller would manage Windows nodes; simulated as if it were\n`);
      }
      io.stdout(output === 'json' ? renderJson(sim) : output === 'yaml' ? renderYaml(sim) : renderTable(sim));
      done(ExitCode.ok);
    },
  );
