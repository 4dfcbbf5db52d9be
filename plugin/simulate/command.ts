/**
 * @module
 * `kubectl winprefix simulate`: offline what-if for warm-pool settings, using the real pool code
 * (run.ts, loaded only when it runs).
 */
import type { CommandSpec, FlagSpec } from '../cli.ts';
import { CliError } from '../io.ts';

const SIMULATE_FLAGS = {
  'instance-type': { type: 'string', describe: 'EC2 instance type of the Windows node, e.g. c5.large (required)' },
  mode: { type: 'string', describe: 'prefix | secondary; default: what --config says, else prefix' },
  'warm-ip-target': { type: 'string', describe: 'free addresses to keep (overrides --config)' },
  'minimum-ip-target': { type: 'string', describe: 'addresses to hold at least (overrides --config)' },
  'warm-prefix-target': { type: 'string', describe: 'free prefixes to keep (prefix mode; overrides --config)' },
  config: { type: 'string', describe: 'ConfigMap manifest (YAML or JSON), e.g. from kubectl get cm -n kube-system amazon-vpc-cni -o yaml' },
  pods: { type: 'string', describe: 'pod counts to simulate: 0,5,17,26 or 0..110 (required)' },
  output: { alias: 'o', type: 'string', default: 'table', describe: 'table | json | yaml' },
} as const satisfies Record<string, FlagSpec>;

export const simulateCommand: CommandSpec = {
  path: ['simulate'],
  summary: 'What-if: how many prefixes or secondary IPs a node holds for a config and pod count (offline)',
  positionals: [],
  flags: SIMULATE_FLAGS,
  examples: [
    ['$0 simulate --instance-type c5.large --pods 0,5,17,26', 'prefixes held at each pod count with default settings'],
    ['$0 simulate --instance-type m5.large --config cm.yaml --pods 0..9 -o json', 'your ConfigMap, as JSON'],
  ],
  async run(args, io) {
    for (const required of ['instance-type', 'pods'] as const) {
      if (args.values[required] === undefined) {
        throw new CliError(`--${required} is required`, undefined, { hint: "See 'kubectl winprefix simulate --help' for usage." });
      }
    }
    const { runSimulate } = await import('./run.ts');
    return runSimulate(args.values, io);
  },
};
