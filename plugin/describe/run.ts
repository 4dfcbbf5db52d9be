/**
 * @module
 * Runs a {@link DescribeNodeOp}: connect, gather, analyse, render. Returns the exit code
 * (0 consistent, 1 findings); throws CliError when the tool failed, after printing whatever half
 * of the report it has (the Kubernetes half when EC2 could not be read).
 */
import { createEc2Adapter, type Ec2Adapter } from '../../pkg/adapters/ec2/sdk-adapter.ts';
import { closeSharedConnections, createKubeClients, KubeConfigError, loadKubeConfig } from '../../pkg/adapters/kube/client.ts';
import { Env } from '../env.ts';
import { CliError, ExitCode, type CliIO } from '../io.ts';
import { renderStructured } from '../render/structured.ts';
import { PLAIN, RICH, styleFor } from '../render/style.ts';
import { analyzeNode } from './analyze.ts';
import type { DescribeNodeOp } from './command.ts';
import { gatherNodeInputs } from './gather.ts';
import { renderHuman } from './render.ts';
import type { NodeReport } from './report.ts';

export async function runDescribeNode(op: DescribeNodeOp, io: CliIO): Promise<number> {
  let kc;
  try {
    kc = loadKubeConfig(op.kube, { env: { ...io.env } });
  } catch (err) {
    if (err instanceof KubeConfigError) throw new CliError(err.message, ExitCode.toolError, { cause: err });
    throw err;
  }
  // --request-timeout reaches the clients through loadKubeConfig, which keeps it with kc.
  const { core } = createKubeClients(kc, { userAgent: 'kubectl-winprefix' });
  const adapters: Ec2Adapter[] = [];
  const env = io.env;
  // Read from io.env rather than left to the SDK's process.env lookup, so the caller's environment is the one used.
  const endpoint = op.aws.endpoint ?? env[Env.ec2Endpoint] ?? env[Env.anyEndpoint];
  try {
    const inputs = await gatherNodeInputs(
      {
        core,
        ec2For: (region) => {
          if (!region && !env[Env.region] && !env[Env.defaultRegion] && !op.aws.profile && !env[Env.profile]) {
            throw new CliError("no AWS region: the node's providerID and zone label name none; pass --region");
          }
          const adapter = createEc2Adapter({
            ...(region ? { region } : {}),
            ...(endpoint ? { endpoint } : {}),
            ...(op.aws.profile ? { profile: op.aws.profile } : {}),
            ...(op.kube.requestTimeoutMs ? { requestTimeoutMs: op.kube.requestTimeoutMs } : {}),
            maxAttempts: 2,
          });
          adapters.push(adapter);
          return adapter;
        },
        warn: (line) => io.stderr(`warning: ${line}\n`),
      },
      {
        nodeName: op.nodeName,
        configMap: op.configMap,
        region: op.aws.region,
        ec2Endpoint: endpoint,
        now: io.now(),
      },
    );
    const report = analyzeNode(inputs);
    io.stdout(render(report, op, io));
    if (!report.ec2.available) {
      throw new CliError(`the EC2 half of this report is missing (no ENIs, prefixes or address sources): ${report.ec2.error ?? 'EC2 was not read'}`);
    }
    return report.findings.length > 0 ? ExitCode.findings : ExitCode.ok;
  } finally {
    for (const a of adapters) a.destroy();
    await closeSharedConnections(kc);
  }
}

function render(report: NodeReport, op: DescribeNodeOp, io: CliIO): string {
  if (op.output === 'json' || op.output === 'yaml') return renderStructured(report, op.output);
  const style = op.color === 'always' ? RICH : op.color === 'never' ? PLAIN : styleFor(io);
  return renderHuman(report, { wide: op.output === 'wide', style, now: io.now() });
}
