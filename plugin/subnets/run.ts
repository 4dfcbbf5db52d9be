/**
 * @module
 * Runs a {@link SubnetsOp}: the Windows nodes and their pods (plugin/cluster/reads.ts), their primary ENIs
 * (plugin/cluster/planning-reads.ts), then each subnet (DescribeSubnets once, its ENIs and reservations),
 * analyse, render. Returns the exit code (0 no findings, 1 findings); throws CliError when the tool failed, or
 * after printing the report when a node could not be read (exit 2: a subnet it draws from may be missing).
 */
import { readPlanningNodes, readSubnets, ec2Place, subnetsOf } from '../cluster/planning-reads.ts';
import { readWindowsNodes, windowsSelector } from '../cluster/reads.ts';
import { styleOf } from '../common-flags.ts';
import { CliError, ExitCode, type CliIO } from '../io.ts';
import { renderStructured } from '../render/structured.ts';
import { terminalWidth } from '../render/width.ts';
import { connectKube, createEc2Access } from '../session.ts';
import { mark } from '../timing.ts';
import { analyzeSubnets, type SubnetsInputs } from './analyze.ts';
import type { SubnetsOp } from './command.ts';
import type { SubnetReport } from './report.ts';
import { renderSubnets } from './render.ts';

export async function runSubnets(op: SubnetsOp, io: CliIO): Promise<number> {
  const warn = (line: string) => io.stderr(`warning: ${line}\n`);
  const { kube, progress } = await connectKube(op, io);
  const kubeRead = readWindowsNodes(kube, { selector: op.selector, nodeNames: [] });
  kubeRead.catch(() => {});
  await kube.connected;
  const access = createEc2Access(op, io, progress);
  try {
    const { nodes, pods } = await kubeRead;
    mark(`subnets: ${nodes.length} Windows nodes listed`);
    if (nodes.length === 0 && op.subnetIds.length === 0) {
      // Nothing to look at, so EC2 is not asked (no region or credentials are needed to say so).
      warn(`no node matches ${windowsSelector(op.selector)}: name subnets with --subnet-id to look at them anyway`);
      const report = analyzeSubnets({ ...reportBasics(op, io), ec2: ec2Place(op.aws, io.env, undefined), nodes: [], subnets: [] });
      io.stdout(await render(report, op, io));
      return ExitCode.ok;
    }
    const { ec2, where } = await access.ec2ForNodes(nodes);
    const windows = await readPlanningNodes({ nodes, pods, ec2, where, warn });
    mark('subnets: nodes read');

    const reads = await readSubnets(ec2, where, op.subnetIds.length > 0 ? op.subnetIds : subnetsOf(windows));
    mark('subnets: subnets read');

    const report = analyzeSubnets({ ...reportBasics(op, io), ec2: ec2Place(op.aws, io.env, where), nodes: windows, subnets: reads });
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
