/**
 * @module
 * Runs a {@link DescribeNodeOp}: connect, gather, analyse, render. Returns the exit code
 * (0 consistent, 1 findings); throws CliError when the tool failed or could not verify, after printing
 * whatever half of the report it has (the Kubernetes half when EC2 could not be read).
 *
 * Ordered for speed: this module loads only what it takes to read the kubeconfig and send the Kubernetes
 * reads; everything else (AWS credentials and the EC2 reader, the analysis, the renderer) loads while
 * the API server answers.
 */
import { CliError, ExitCode, type CliIO } from '../io.ts';
import { connectKube, createEc2Access } from '../session.ts';
import { mark } from '../timing.ts';
import type { DescribeNodeOp } from './command.ts';
import { startKubeReads } from './kube-reads.ts';

export async function runDescribeNode(op: DescribeNodeOp, io: CliIO): Promise<number> {
  mark('describe node: code loaded');
  const { kube, progress } = await connectKube(op, io);
  const reads = startKubeReads(kube, { nodeName: op.nodeName, configMap: op.configMap });

  // While the API server answers: the AWS profile is checked, credentials resolved and the rest loaded.
  // Not before the connection is up: loading code blocks this thread, which the TLS handshake needs.
  await kube.connected;
  mark('loading the rest');
  const access = createEc2Access(op, io, progress);
  const code = Promise.all([import('./make-report.ts'), import('./output.ts')]);
  code.catch(() => {});

  try {
    const [{ makeNodeReport }, { renderReport }] = await code;
    const { report } = await makeNodeReport(
      { ec2For: (nodeRegion) => access.ec2For(nodeRegion), warn: (line) => io.stderr(`warning: ${line}\n`) },
      { nodeName: op.nodeName, podNamespace: op.kube.namespace ?? null, now: io.now() },
      reads,
    );
    mark('analysed');
    io.stdout(await renderReport(report, op, io));
    mark('printed');
    if (!report.ec2.available) {
      throw new CliError(`the EC2 half of this report is missing (no ENIs, prefixes or address sources): ${report.ec2.error ?? 'EC2 was not read'}`);
    }
    return report.findings.length > 0 ? ExitCode.findings : ExitCode.ok;
  } finally {
    kube.close();
    access.close();
  }
}
