/**
 * @module
 * Runs `kubectl winprefix simulate` (declared in command.ts): reads the config and flags, runs the real
 * pool offline (simulate.ts) and prints the answer.
 */
import { readFileSync } from 'node:fs';
import { bundledInstanceLimits, supportsPrefixDelegation } from '../../pkg/core/ec2/instance-limits.ts';
import { CliError, ExitCode, type CliIO } from '../io.ts';
import { clusterConfigFor, configMapData, parsePodCounts, parseTargetFlag } from './inputs.ts';
import { renderJson, renderTable, renderYaml } from './render.ts';
import { simulate, SimulationError } from './simulate.ts';

const OUTPUTS = ['table', 'json', 'yaml'] as const;
const MODES = ['prefix', 'secondary'] as const;

const STRING_FLAGS = ['instance-type', 'mode', 'warm-ip-target', 'minimum-ip-target', 'warm-prefix-target', 'config', 'pods', 'output'] as const;
type FlagValues = Partial<Record<(typeof STRING_FLAGS)[number], string>>;

/** Each of simulate's flags takes one value. */
function singleValues(values: Readonly<Record<string, string[] | boolean | undefined>>): FlagValues {
  const out: FlagValues = {};
  for (const flag of STRING_FLAGS) {
    const value = values[flag];
    if (!Array.isArray(value)) continue;
    if (value.length > 1) {
      throw new CliError(`--${flag} is given more than once; give it once${flag === 'pods' ? ' (a list works: --pods 0,5,17)' : ''}`);
    }
    out[flag] = value[0];
  }
  return out;
}

/** Own check instead of a generic one, naming the flag as the user typed it. */
function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CliError(`${flag}: "${value}" is not one of ${allowed.join(', ')}`);
}

export function runSimulate(values: Readonly<Record<string, string[] | boolean | undefined>>, io: CliIO): number {
  const argv = singleValues(values);
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
  return ExitCode.ok;
}
