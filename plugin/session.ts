/**
 * @module
 * What every command that reads a cluster sets up the same way: the Kubernetes reader from kubectl's
 * connection flags (with word on stderr when a request is slow), and EC2 readers from the AWS flags, one per
 * region, built once the region is known (from --region, else the node's, or for a command that reads many
 * nodes in one region, the first one a node names). The AWS side is loaded only when
 * {@link createEc2Access} is called: commands call it once the API server connection is up, so loading the
 * credential code does not stall the TLS handshake (docs/plugin.md, "Start-up").
 */
import { nodeRegion } from './describe/node-facts.ts';
import { Env } from './env.ts';
import type { Ec2Where } from './errors.ts';
import { CliError, type CliIO } from './io.ts';
import { resolveKubeTarget, type KubeTarget } from './kube/kubeconfig.ts';
import type { KubeNode } from './kube/objects.ts';
import { createKubeReader, type KubeReader } from './kube/rest.ts';
import { createProgress, type Progress } from './progress.ts';
import { mark } from './timing.ts';
import type { Ec2Reader } from './aws/ec2-reader.ts';
import { EC2_DEFAULT_TIMEOUT_MS, type AwsConnection, type ConnectionOp } from './connection-flags.ts';

export const USER_AGENT = 'kubectl-winprefix';
/** EC2 has no watch: --watch views read it again after Kubernetes changes, at most this often... */
export const WATCH_EC2_MIN_INTERVAL_MS = 5_000;
/** ...and this often whatever happens (an address moved out of band changes nothing in Kubernetes). */
export const WATCH_EC2_EVERY_MS = 60_000;

export type { ConnectionOp };

export interface KubeSession {
  kube: KubeReader;
  target: KubeTarget;
  progress: Progress;
}

export async function connectKube(op: ConnectionOp, io: CliIO): Promise<KubeSession> {
  const target = await resolveKubeTarget(op.kube, io.env);
  mark(`kubeconfig read: ${target.source}`);
  const bounded = op.requestTimeoutMs ? `--request-timeout ${op.requestTimeoutText} bounds the wait` : 'pass --request-timeout to bound the wait';
  const progress = createProgress({ stderr: io.stderr, boundedBy: bounded });
  const kube = createKubeReader({
    target,
    env: io.env,
    timeoutMs: op.requestTimeoutMs,
    userAgent: USER_AGENT,
    stdinIsTTY: io.stdinIsTTY ?? false,
    onRequest: (what) => progress.track(`the Kubernetes API server to ${what}`, target.server),
  });
  return { kube, target, progress };
}

export interface Ec2Access {
  /**
   * The EC2 reader for a region (--region, else the node's, else the environment's and the profile's), with
   * where it points; one reader per region for the whole run. Throws a CliError when no region or profile.
   */
  ec2For(nodeRegion: string | null): Promise<{ ec2: Ec2Reader; where: Ec2Where }>;
  /**
   * The one reader of a command that reads EC2 in a single region for many nodes (`subnets`, `migrate`: their
   * documents name one region): --region, else the first region a node names, else the environment's and the
   * profile's. A node elsewhere is then not found there, and says so.
   */
  ec2ForNodes(nodes: readonly KubeNode[]): Promise<{ ec2: Ec2Reader; where: Ec2Where }>;
  close(): void;
}

/** The region the nodes name (the first node that names one), or null when none does. */
export function regionOfNodes(nodes: readonly KubeNode[]): string | null {
  for (const node of nodes) {
    const region = nodeRegion(node);
    if (region) return region;
  }
  return null;
}

/** The EC2 endpoint given by flag or environment; undefined: the region's public one. */
export function ec2EndpointOverride(aws: AwsConnection, env: CliIO['env']): string | undefined {
  return aws.endpoint ?? env[Env.ec2Endpoint] ?? env[Env.anyEndpoint];
}

/** `wrap` decorates each reader once (the cluster-wide commands batch per-instance reads with it). */
export function createEc2Access(op: ConnectionOp, io: CliIO, progress: Progress, wrap: (reader: Ec2Reader) => Ec2Reader = (r) => r): Ec2Access {
  const env = io.env;
  const aws = import('./aws/config.ts').then((m) => {
    const profile = m.profileName(op.aws.profile, env);
    const profileSource = op.aws.profile ? '--profile' : profile ? 'AWS_PROFILE' : undefined;
    const profileCheck = profile ? m.requireProfile(profile, profileSource!, env) : Promise.resolve();
    const credentials = m.credentialProvider(profile, env, (line) => io.stderr(`warning: ${line}\n`));
    profileCheck.then(() => credentials().catch(() => {}), () => {});
    return { config: m, profile, profileSource, profileCheck, credentials };
  });
  aws.catch(() => {});
  const readerModule = import('./aws/ec2-reader.ts');
  readerModule.catch(() => {});
  const endpoint = ec2EndpointOverride(op.aws, env);
  const readers = new Map<string, Promise<{ ec2: Ec2Reader; where: Ec2Where }>>();
  const open: Ec2Reader[] = [];
  /** `noneFromNodes`: how the nodes came to name no region, for the error when nothing else names one. */
  const readerFor = async (nodeRegion: string | null, noneFromNodes: string) => {
    const a = await aws;
    await a.profileCheck;
    const region = await a.config.resolveRegion({ flag: op.aws.region, node: nodeRegion, profile: a.profile, env });
    if (!region) {
      throw new CliError(`no AWS region: ${noneFromNodes}, and neither AWS_REGION, AWS_DEFAULT_REGION nor the AWS profile sets one; pass --region`);
    }
    let pending = readers.get(region.region);
    if (!pending) {
      pending = readerModule.then(({ createEc2Reader }) => {
        const reader = createEc2Reader({
          region: region.region,
          endpoint,
          credentials: a.credentials,
          timeoutMs: op.requestTimeoutMs ?? EC2_DEFAULT_TIMEOUT_MS,
          userAgent: USER_AGENT,
          onRequest: (what) => progress.track(`EC2 ${what}`, `${reader.endpoint}, ${region.region}`),
        });
        open.push(reader);
        const where: Ec2Where = { region: region.region, regionSource: region.source, endpoint: reader.endpoint, profile: a.profile, profileSource: a.profileSource };
        return { ec2: wrap(reader), where };
      });
      readers.set(region.region, pending);
    }
    return pending;
  };
  return {
    ec2For: (nodeRegion) => readerFor(nodeRegion, "the node's providerID and zone label name none"),
    ec2ForNodes: (nodes) => readerFor(regionOfNodes(nodes), 'no node names one in its providerID or zone label'),
    close: () => {
      for (const reader of open) reader.close();
    },
  };
}
