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
import { Env } from '../env.ts';
import type { Ec2Where } from '../errors.ts';
import { CliError, ExitCode, type CliIO } from '../io.ts';
import { resolveKubeTarget } from '../kube/kubeconfig.ts';
import { createKubeReader } from '../kube/rest.ts';
import { createProgress } from '../progress.ts';
import { mark } from '../timing.ts';
import type { DescribeNodeOp } from './command.ts';
import { startKubeReads } from './kube-reads.ts';

/** Per EC2 attempt when --request-timeout is not given: bounded, unlike Kubernetes reads (kubectl waits forever). */
export const EC2_DEFAULT_TIMEOUT_MS = 30_000;
const USER_AGENT = 'kubectl-winprefix';

export async function runDescribeNode(op: DescribeNodeOp, io: CliIO): Promise<number> {
  mark('describe node: code loaded');
  const env = io.env;
  const target = await resolveKubeTarget(op.kube, env);
  mark(`kubeconfig read: ${target.source}`);
  const bounded = op.requestTimeoutMs ? `--request-timeout ${op.requestTimeoutText} bounds the wait` : 'pass --request-timeout to bound the wait';
  const progress = createProgress({ stderr: io.stderr, boundedBy: bounded });
  const kube = createKubeReader({
    target,
    env,
    timeoutMs: op.requestTimeoutMs,
    userAgent: USER_AGENT,
    stdinIsTTY: io.stdinIsTTY ?? false,
    onRequest: (what) => progress.track(`the Kubernetes API server to ${what}`, target.server),
  });
  const reads = startKubeReads(kube, { nodeName: op.nodeName, configMap: op.configMap });

  // While the API server answers: the AWS profile is checked, credentials resolved and the rest loaded.
  // Not before the connection is up: loading code blocks this thread, which the TLS handshake needs.
  await kube.connected;
  mark('loading the rest');
  const aws = import('../aws/config.ts').then((m) => {
    const profile = m.profileName(op.aws.profile, env);
    const profileSource = op.aws.profile ? '--profile' : profile ? 'AWS_PROFILE' : undefined;
    const profileCheck = profile ? m.requireProfile(profile, profileSource!, env) : Promise.resolve();
    const credentials = m.credentialProvider(profile, env, (line) => io.stderr(`warning: ${line}\n`));
    profileCheck.then(() => credentials().catch(() => {}), () => {});
    return { config: m, profile, profileSource, profileCheck, credentials };
  });
  aws.catch(() => {});
  const code = Promise.all([import('../aws/ec2-reader.ts'), import('./gather.ts'), import('./analyze.ts'), import('./output.ts')]);
  code.catch(() => {});
  const endpoint = op.aws.endpoint ?? env[Env.ec2Endpoint] ?? env[Env.anyEndpoint];
  let closeEc2: (() => void) | undefined;

  try {
    const [{ createEc2Reader }, { gatherNodeInputs, readSubnetRoom }, { analyzeNode }, { renderReport }] = await code;
    const gathered = await gatherNodeInputs(
      {
        ec2For: async (nodeRegion) => {
          const a = await aws;
          await a.profileCheck;
          const region = await a.config.resolveRegion({ flag: op.aws.region, node: nodeRegion, profile: a.profile, env });
          if (!region) {
            throw new CliError(`no AWS region: the node's providerID and zone label name none, and neither AWS_REGION, AWS_DEFAULT_REGION nor the AWS profile sets one; pass --region`);
          }
          const reader = createEc2Reader({
            region: region.region,
            endpoint,
            credentials: a.credentials,
            timeoutMs: op.requestTimeoutMs ?? EC2_DEFAULT_TIMEOUT_MS,
            userAgent: USER_AGENT,
            onRequest: (what) => progress.track(`EC2 ${what}`, `${reader.endpoint}, ${region.region}`),
          });
          closeEc2 = () => reader.close();
          const where: Ec2Where = { region: region.region, regionSource: region.source, endpoint: reader.endpoint, profile: a.profile, profileSource: a.profileSource };
          return { ec2: reader, where };
        },
        warn: (line) => io.stderr(`warning: ${line}\n`),
      },
      { nodeName: op.nodeName, podNamespace: op.kube.namespace ?? null, now: io.now() },
      reads,
    );
    mark('everything read');
    let report = analyzeNode(gathered.inputs);
    // Pods wait because the subnet has no free /28: read the subnet once to name the block to reserve.
    const cidrStarved = report.findings.filter((f) => f.kind === 'pod-without-address' && f.cause === 'insufficient-cidr-blocks');
    const subnetId = report.interfaces.find((i) => i.deviceIndex === 0)?.subnetId ?? report.interfaces[0]?.subnetId;
    if (cidrStarved.length > 0 && gathered.ec2 && subnetId) {
      const waiting = cidrStarved.reduce((n, f) => n + f.pods.length, 0);
      const room = await readSubnetRoom(gathered.ec2, subnetId, Math.ceil(waiting / 16)).catch((err: unknown) => {
        io.stderr(`warning: subnet ${subnetId} could not be read, so the reservation command has no CIDR: ${(err as Error).message}\n`);
        return undefined;
      });
      if (room) report = analyzeNode({ ...gathered.inputs, subnet: room });
    }
    mark('analysed');
    io.stdout(await renderReport(report, op, io));
    mark('printed');
    if (!report.ec2.available) {
      throw new CliError(`the EC2 half of this report is missing (no ENIs, prefixes or address sources): ${report.ec2.error ?? 'EC2 was not read'}`);
    }
    return report.findings.length > 0 ? ExitCode.findings : ExitCode.ok;
  } finally {
    kube.close();
    closeEc2?.();
  }
}
