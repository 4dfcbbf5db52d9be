/**
 * @module
 * Runs `check`: the cluster-wide reads, EC2 in batches, every node analysed as `describe node` analyses it,
 * the cross-node findings, one ClusterCheck. Returns its exit code; when some node could not be verified, the
 * report is printed first, then the error.
 */
import { readCluster } from '../cluster/reads.ts';
import { surveyCluster } from '../cluster/survey.ts';
import { styleOf } from '../common-flags.ts';
import { CliError, ExitCode, type CliIO } from '../io.ts';
import { renderStructured } from '../render/structured.ts';
import { terminalWidth } from '../render/width.ts';
import { connectKube, createEc2Access } from '../session.ts';
import { mark } from '../timing.ts';
import type { CheckOp } from './command.ts';
import { renderCheck } from './render.ts';
import { clusterCheck } from './report.ts';

export async function runCheck(op: CheckOp, io: CliIO): Promise<number> {
  const { kube, progress } = await connectKube(op, io);
  const snapshotP = readCluster(kube, { selector: op.selector, nodeNames: op.nodeNames, configMap: op.configMap });
  snapshotP.catch(() => {});
  await kube.connected;
  const access = createEc2Access(op, io, progress);
  try {
    const snapshot = await snapshotP;
    mark(`check: ${snapshot.nodes.length} nodes read in ${snapshot.requests} requests`);
    for (const line of snapshot.warnings) io.stderr(`warning: ${line}\n`);
    const now = io.now();
    const survey = await surveyCluster({ snapshot, access, now, warn: (line) => io.stderr(`warning: ${line}\n`) });
    const report = clusterCheck(survey.analysis, { now, selector: op.selector, nodeNames: op.nodeNames });
    io.stdout(
      op.output === 'json' || op.output === 'yaml'
        ? await renderStructured(report, op.output)
        : renderCheck(report, { wide: op.output === 'wide', style: styleOf(op.color, io), width: terminalWidth(io) }),
    );
    if (report.summary.nodes === 0) io.stderr(`No Windows nodes found${op.selector ? ` matching -l ${op.selector}` : ''} (nodes labelled kubernetes.io/os=windows): nothing to check.\n`);
    if (report.summary.exitCode === ExitCode.toolError) {
      const unverified = report.nodes.filter((n) => !n.ec2.read);
      throw new CliError(`${unverified.length} of ${report.summary.nodes} nodes could not be verified, EC2 did not show their ENIs (${unverified[0]!.name}: ${unverified[0]!.ec2.error ?? 'not read'})`);
    }
    return report.summary.exitCode;
  } finally {
    kube.close();
    access.close();
  }
}
