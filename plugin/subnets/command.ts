/**
 * @module
 * `kubectl winprefix subnets`: its declaration and the parse from the command line to a {@link SubnetsOp}.
 * The code that runs it is loaded only when it runs.
 */
import { allValues, lastValue, type CommandSpec, type FlagSpec, type ParsedCommand } from '../cli.ts';
import { CLUSTER_WIDE_CONNECTION_FLAGS, clusterWideConnectionOf, COLOR_FLAG, colorOf, outputOf, SELECTOR_FLAG, selectorOf, type ColorMode } from '../common-flags.ts';
import type { ConnectionOp } from '../connection-flags.ts';
import { OUTPUTS, type OutputFormat } from '../describe/command.ts';
import { CliError } from '../io.ts';

export interface SubnetsOp extends ConnectionOp {
  output: OutputFormat;
  color: ColorMode;
  /** -l, added to kubernetes.io/os=windows. */
  selector: string | null;
  /** --subnet-id values; empty: the subnets of the Windows nodes' primary ENIs. */
  subnetIds: string[];
  headroom: number | null;
  map: boolean;
}

const HINT = "See 'kubectl winprefix subnets --help' for usage.";

const SUBNETS_FLAGS = {
  output: {
    alias: 'o',
    type: 'string',
    choices: OUTPUTS,
    default: 'table',
    describe: 'Output format: table fits the terminal; wide shows every column and the whole map; json and yaml follow the SubnetReport schema (docs/planning.md)',
  },
  color: { ...COLOR_FLAG, describe: 'Colour and Unicode map cells: auto (a terminal without NO_COLOR), always or never' },
  selector: SELECTOR_FLAG,
  'subnet-id': { type: 'string', describe: 'Look at this subnet (repeat it, or join ids with commas) instead of the subnets of the Windows nodes' },
  headroom: { type: 'string', describe: 'Also a finding (exit 1) when a subnet can give fewer than this many more Windows pods an address in prefix mode' },
  map: { type: 'boolean', describe: 'Print a map of each subnet: 16 cells per /28 block, one per address (used, Windows nodes, free, reserved)' },
} as const satisfies Record<string, FlagSpec>;

export function parseSubnetsArgs(args: ParsedCommand): SubnetsOp {
  const { values } = args;
  const output = outputOf(values, OUTPUTS, 'table');
  const color = colorOf(values);
  const subnetIds = [...new Set(allValues(values, 'subnet-id').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== ''))];
  for (const id of subnetIds) {
    if (!/^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id)) throw new CliError(`--subnet-id "${id}" is not a subnet id (subnet- and 8 or 17 hex digits, as aws ec2 describe-subnets shows them)`, undefined, { hint: HINT });
  }
  const headroomText = lastValue(values, 'headroom');
  if (headroomText !== undefined && !/^\d+$/.test(headroomText)) throw new CliError(`--headroom "${headroomText}" is not a number of pods (a whole number, e.g. --headroom 200)`, undefined, { hint: HINT });
  return {
    output,
    color,
    selector: selectorOf(values),
    subnetIds,
    headroom: headroomText === undefined ? null : Number(headroomText),
    map: values.map === true,
    ...clusterWideConnectionOf(values),
  };
}

export const subnetsCommand: CommandSpec = {
  path: ['subnets'],
  summary: 'Room for /28 prefixes in the Windows nodes\' subnets: free blocks, fragmentation, reservations, headroom in pods, and what to reserve',
  positionals: [],
  flags: { ...SUBNETS_FLAGS, ...CLUSTER_WIDE_CONNECTION_FLAGS },
  examples: [
    ['$0 subnets', 'every subnet holding a Windows node\'s primary ENI'],
    ['$0 subnets --headroom 200', 'exit 1 when a subnet cannot give 200 more Windows pods an address'],
    ['$0 subnets --subnet-id subnet-0a1b2c3d --map', 'one subnet, with its map'],
    ['$0 subnets -o json | jq \'.subnets[] | {subnetId, headroom}\'', 'for scripts'],
  ],
  epilogue:
    'Exit status: 0 every subnet can give its nodes their next prefix (and --headroom more pods), 1 findings, 2 or more the tool failed or could not read a node. Reads only: nodes and pods from Kubernetes; DescribeNetworkInterfaces, DescribeSubnets, GetSubnetCidrReservations (and DescribeInstanceTypes for unknown types) from EC2.',
  async run(args, io) {
    const op = parseSubnetsArgs(args);
    const { runSubnets } = await import('./run.ts');
    return runSubnets(op, io);
  },
};
