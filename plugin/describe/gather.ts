/**
 * @module
 * Gathers what `describe node` needs, overlapping everything that can overlap: the Kubernetes reads are
 * already in flight (kube-reads.ts), AWS credentials are resolved meanwhile, and the EC2 read
 * (DescribeNetworkInterfaces filtered by the instance) starts as soon as the node names its instance, while
 * the pod and event lists are still arriving. EC2 failures become the report's missing EC2 half, worded
 * with the region, endpoint and profile that were used.
 *
 * An instance EC2 does not know is never "agree": an empty ENI list means the instance is not in this
 * region and account (or was terminated), and is reported as such.
 */
import { bundledInstanceLimits, type InstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import type { NetworkInterface } from '../../pkg/core/ec2/port.ts';
import type { InstanceState } from '../aws/ec2-reader.ts';
import { credentialsText, ec2ErrorCode, ec2Failure, type Ec2Where } from '../errors.ts';
import { CliError } from '../io.ts';
import type { KubeNode } from '../kube/objects.ts';
import { subnetRoom, type SubnetRoom } from '../subnet-room.ts';
import type { DescribeInputs, Ec2Read } from './inputs.ts';
import type { KubeReads } from './kube-reads.ts';
import type { NodeReport } from './report.ts';
import { isWindowsNode, nodeInstanceType, nodeOs, nodeRegion, parseProviderId } from './node-facts.ts';

/** The EC2 reads describe makes (plugin/aws/ec2-reader.ts implements them). */
export interface DescribeEc2 {
  readonly endpoint: string;
  describeInstanceInterfaces(instanceId: string): Promise<NetworkInterface[]>;
  describeInstanceState(instanceId: string): Promise<InstanceState | undefined>;
  instanceLimits(instanceType: string): Promise<InstanceLimits>;
  describeSubnet(subnetId: string): Promise<{ cidr: string }>;
  subnetCidrReservations(subnetId: string): Promise<Array<{ reservationId: string; subnetId: string; cidr: string; type: 'prefix' | 'explicit' }>>;
  describeSubnetInterfaces(subnetId: string): Promise<NetworkInterface[]>;
}

export interface GatherDeps {
  /**
   * The EC2 reader for a region (decided once the node is read), with where it points; throws a CliError
   * when no region or credentials can be had.
   */
  ec2For(nodeRegion: string | null): Promise<{ ec2: DescribeEc2; where: Ec2Where }>;
  warn(line: string): void;
}

export interface GatherRequest {
  nodeName: string;
  podNamespace: string | null;
  now: Date;
}

/**
 * The inputs from the reads already in flight, and the EC2 reader when EC2 answered (for follow-up reads
 * such as the subnet's room).
 */
export async function gatherNodeInputs(deps: GatherDeps, req: GatherRequest, reads: KubeReads): Promise<{ inputs: DescribeInputs; ec2: DescribeEc2 | undefined }> {
  const node = await reads.node;
  if (!isWindowsNode(node)) {
    const os = nodeOs(node);
    throw new CliError(`node "${req.nodeName}" is not a Windows node (kubernetes.io/os=${os ?? 'unset'}): describe node explains Windows IPAM only; pick a node from kubectl get nodes -l kubernetes.io/os=windows`);
  }
  const ec2P = readNodeEc2(deps, node, req.nodeName);
  const [pods, events, configMap, ec2] = await Promise.all([reads.pods, reads.events, reads.configMap, ec2P]);
  // Warned only now: when the node itself cannot be read, its error is the one line worth printing.
  for (const line of [events.warning, configMap.warning]) if (line) deps.warn(line);
  const inputs: DescribeInputs = {
    node,
    pods,
    events: events.events,
    configMap: configMap.value,
    ec2: ec2.read,
    limits: ec2.limits,
    subnet: undefined,
    podNamespace: req.podNamespace,
    now: req.now,
  };
  return { inputs, ec2: ec2.reader };
}

export interface Ec2Outcome {
  read: Ec2Read;
  limits: InstanceLimits | undefined;
  /** Why `limits` is missing when the type was looked up in EC2 and that failed (also warned); else null. */
  limitsError: string | null;
  reader: DescribeEc2 | undefined;
}

/**
 * What EC2 says about one node's instance: its ENIs, its type's limits, or why they could not be read. The
 * cluster-wide commands call it per node with a batching reader (plugin/aws/batched-reads.ts).
 */
export async function readNodeEc2(deps: GatherDeps, node: KubeNode, nodeName: string): Promise<Ec2Outcome> {
  const instanceType = nodeInstanceType(node);
  const bundled = instanceType ? bundledInstanceLimits(instanceType) : undefined;
  const fromNode = nodeRegion(node);
  const { instanceId } = parseProviderId(node.spec?.providerID);
  const failed = (error: string, where: { region?: string; endpoint?: string; profile?: string | null }, errorCode: string | null = null): Ec2Outcome => ({
    read: { ok: false, region: where.region ?? fromNode, endpoint: where.endpoint ?? null, profile: where.profile ?? null, error, errorCode },
    limits: bundled,
    limitsError: null,
    reader: undefined,
  });
  if (!instanceId) {
    const providerID = node.spec?.providerID;
    return failed(
      `node "${nodeName}" has ${providerID ? `providerID "${providerID}", which names no EC2 instance` : 'no spec.providerID'}, so its ENIs cannot be read: run the AWS cloud controller manager, or set the providerID to aws:///ZONE/INSTANCE-ID`,
      {},
    );
  }
  let ec2: DescribeEc2;
  let where: Ec2Where;
  try {
    ({ ec2, where } = await deps.ec2For(fromNode));
  } catch (err) {
    if (err instanceof CliError) return failed(err.message, {});
    throw err;
  }
  const at = { region: where.region, endpoint: where.endpoint, profile: where.profile ?? null };
  const limitsP: Promise<Pick<Ec2Outcome, 'limits' | 'limitsError'>> =
    bundled || !instanceType
      ? Promise.resolve({ limits: bundled, limitsError: null })
      : ec2.instanceLimits(instanceType).then(
          (limits) => ({ limits, limitsError: null }),
          (err: unknown) => {
            const limitsError = `instance type ${instanceType} is not in the bundled table and DescribeInstanceTypes failed, so slots are unknown: ${ec2Failure(err, where)}`;
            deps.warn(limitsError);
            return { limits: undefined, limitsError };
          },
        );
  let interfaces: NetworkInterface[];
  try {
    interfaces = await ec2.describeInstanceInterfaces(instanceId);
  } catch (err) {
    return { ...failed(ec2Failure(err, where), at, ec2ErrorCode(err)), ...(await limitsP) };
  }
  if (interfaces.length === 0) {
    // Every running instance has its primary ENI: none means EC2 does not know this instance here.
    const unknown = await unknownInstance(ec2, instanceId, where, fromNode);
    return { ...failed(unknown.message, at, unknown.code), ...(await limitsP) };
  }
  return { read: { ok: true, ...at, interfaces }, ...(await limitsP), reader: ec2 };
}

/** Why an instance has no ENIs here, from DescribeInstances when it may be asked (it needs ec2:DescribeInstances). */
async function unknownInstance(ec2: DescribeEc2, instanceId: string, where: Ec2Where, nodeRegion: string | null): Promise<{ message: string; code: string }> {
  let state: InstanceState | undefined | 'unreadable';
  try {
    state = await ec2.describeInstanceState(instanceId);
  } catch {
    state = 'unreadable';
  }
  const creds = credentialsText(where);
  const regionHint = nodeRegion && nodeRegion !== where.region ? `the node says ${nodeRegion}, ` : '';
  if (state !== undefined && state !== 'unreadable') {
    if (state.state === 'terminated' || state.state === 'shutting-down') {
      return {
        code: 'InstanceTerminated',
        message: `EC2 in ${where.region} says instance ${instanceId} is ${state.state}, so it has no ENIs: this node object outlived its instance; kubectl delete node removes it (the cloud controller manager normally does)`,
      };
    }
    return {
      code: 'NoNetworkInterfaces',
      message: `EC2 in ${where.region} knows instance ${instanceId} (${state.state}) but lists no ENI attached to it for ${creds}: check that the instance is running and that the identity may see its ENIs (ec2:DescribeNetworkInterfaces)`,
    };
  }
  return {
    code: 'InvalidInstanceID.NotFound',
    message:
      `EC2 in ${where.region} (region from ${where.regionSource}, endpoint ${where.endpoint}) has no instance ${instanceId} for ${creds}: ` +
      `the instance is in another region (${regionHint}check --region) or another account (check --profile / AWS_PROFILE: use the cluster's account), or it was terminated and this node object is stale`,
  };
}

/**
 * The subnet worth reading after the analysis, and for how many /28 blocks: when pods wait because the node's
 * subnet has no free /28, the subnet's room names the block to reserve (plugin/ipam-causes.ts).
 */
export function starvedSubnet(report: NodeReport): { subnetId: string; wantedBlocks: number } | undefined {
  const cidrStarved = report.findings.filter((f) => f.kind === 'pod-without-address' && f.cause === 'insufficient-cidr-blocks');
  const subnetId = report.interfaces.find((i) => i.deviceIndex === 0)?.subnetId ?? report.interfaces[0]?.subnetId;
  if (cidrStarved.length === 0 || !subnetId) return undefined;
  const waiting = cidrStarved.reduce((n, f) => n + f.pods.length, 0);
  return { subnetId, wantedBlocks: Math.ceil(waiting / 16) };
}

/** Pods waiting because the subnet has no free /28: read the subnet to say what to reserve. */
export async function readSubnetRoom(ec2: DescribeEc2, subnetId: string, wantedBlocks: number): Promise<SubnetRoom> {
  const [subnet, reservations, interfaces] = await Promise.all([ec2.describeSubnet(subnetId), ec2.subnetCidrReservations(subnetId), ec2.describeSubnetInterfaces(subnetId)]);
  return subnetRoom({ subnetId, cidr: subnet.cidr, interfaces, reservations, wantedBlocks });
}

