/**
 * @module
 * Runs a {@link SubnetsOp}: list the Windows nodes, read their pods and primary ENIs, then each subnet
 * (DescribeSubnets once, its ENIs and reservations), analyse, render. Returns the exit code (0 no findings,
 * 1 findings); throws CliError when the tool failed, or after printing the report when a node could not be
 * read (exit 2: a subnet it draws from may be missing).
 */
import { styleOf } from '../common-flags.ts';
import { nodeRegion } from '../describe/node-facts.ts';
import { listWindowsNodes, readPodsOf, readSubnets, readWindowsNodes, windowsSelector } from '../fleet/read.ts';
import { CliError, ExitCode, type CliIO } from '../io.ts';
import { renderStructured } from '../render/structured.ts';
import { terminalWidth } from '../render/width.ts';
import { connectKube, createEc2Access, ec2EndpointOverride } from '../session.ts';
import { mark } from '../timing.ts';
import { analyzeSubnets, type SubnetsInputs } from './analyze.ts';
import type { SubnetsOp } from './command.ts';
import type { SubnetReport } from './report.ts';
import { renderSubnets } from './render.ts';

export async function runSubnets(op: SubnetsOp, io: CliIO): Promise<number> {
  const env = io.env;
  const warn = (line: string) => io.stderr(`warning: ${line}\n`);
  const { kube, progress } = await connectKube(op, io);
  const nodesRead = listWindowsNodes(kube, op.selector);
  nodesRead.catch(() => {});
  await kube.connected;
  const access = createEc2Access(op, io, progress);
  try {
    const nodes = await nodesRead;
    mark(`subnets: ${nodes.length} Windows nodes listed`);
    if (nodes.length === 0 && op.subnetIds.length === 0) {
      // Nothing to look at, so EC2 is not asked (no region or credentials are needed to say so).
      warn(`no node matches ${windowsSelector(op.selector)}: name subnets with --subnet-id to look at them anyway`);
      const report = analyzeSubnets({ ...reportBasics(op, io), ec2: { region: op.aws.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '', endpoint: null, profile: null }, nodes: [], subnets: [] });
      io.stdout(await render(report, op, io));
      return ExitCode.ok;
    }
    const podsRead = readPodsOf(kube, nodes.map((n) => n.metadata?.name ?? ''));
    podsRead.catch(() => {});
    const { ec2: reader, where } = await access.ec2ForNodes(nodes);
    const elsewhere = [...new Set(nodes.map(nodeRegion).filter((r): r is string => r !== null && r !== where.region))];
    if (elsewhere.length > 0) warn(`some Windows nodes are in ${elsewhere.join(', ')}, not ${where.region}: EC2 is read in ${where.region} only; run again with --region for the others`);
    const windows = await readWindowsNodes({ nodes, pods: await podsRead, ec2: reader, where, warn });
    mark('subnets: nodes read');

    const subnetIds = op.subnetIds.length > 0 ? op.subnetIds : [...new Set(windows.flatMap((n) => (n.eni ? [n.eni.subnetId] : [])))].sort();
    const reads = await readSubnets(reader, where, subnetIds);
    mark('subnets: subnets read');

    const report = analyzeSubnets({
      ...reportBasics(op, io),
      ec2: { region: where.region, endpoint: ec2EndpointOverride(op.aws, env) ?? null, profile: where.profile ?? null },
      nodes: windows,
      subnets: reads,
    });
    mark('subnets: analysed');
    io.stdout(await render(report, op, io));
    if (report.skippedNodes.length > 0 && op.subnetIds.length === 0) {
      const names = report.skippedNodes.map((n) => n.name);
      throw new CliError(
        `${names.length === 1 ? `node ${names[0]} was` : `${names.length} nodes (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}) were`} not read from EC2, so a subnet ${names.length === 1 ? 'it draws' : 'they draw'} from may be missing: ${report.skippedNodes[0]!.reason}`,
      );
    }
    for (const n of report.skippedNodes) if (op.subnetIds.length > 0) warn(`node ${n.name} skipped: ${n.reason}`);
    return report.findings.length > 0 ? ExitCode.findings : ExitCode.ok;
  } finally {
    kube.close();
    access.close();
  }
}

function reportBasics(op: SubnetsOp, io: CliIO): Pick<SubnetsInputs, 'now' | 'selector' | 'subnetIds' | 'headroomWanted' | 'withMap'> {
  return { now: io.now(), selector: op.selector, subnetIds: op.subnetIds, headroomWanted: op.headroom, withMap: op.map };
}

async function render(report: SubnetReport, op: SubnetsOp, io: CliIO): Promise<string> {
  if (op.output === 'json' || op.output === 'yaml') return renderStructured(report, op.output);
  return renderSubnets(report, { wide: op.output === 'wide', style: styleOf(op.color, io), width: terminalWidth(io) });
}
