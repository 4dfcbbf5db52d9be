/**
 * @module
 * What `subnets` and `migrate` read on top of the Windows nodes and their pods (reads.ts). EC2 is read in one
 * region (their documents name one: --region, else the first region a node names, plugin/session.ts), each
 * node's ENIs as every cluster-wide command reads them (inputs.ts: one DescribeNetworkInterfaces per 200
 * instances, DescribeInstances for an instance EC2 lists no ENI of, DescribeInstanceTypes per type missing
 * from the bundled table), then narrowed to what planning needs: the primary ENI and the slot limits, or why
 * not. A node that cannot be read is kept, with why, so no command ever plans or counts it silently. Then the
 * subnets those ENIs are in.
 */
import { INSTANCE_TYPE_LABEL } from '../../pkg/core/contract.ts';
import type { InstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import type { CidrReservation, NetworkInterface, Subnet } from '../../pkg/core/ec2/port.ts';
import type { Ec2Reader } from '../aws/ec2-reader.ts';
import type { Ec2Outcome } from '../describe/gather.ts';
import { nodeInstanceType, nodeRegion, nodeZone, parseProviderId } from '../describe/node-facts.ts';
import type { AwsConnection } from '../connection-flags.ts';
import { Env } from '../env.ts';
import { ec2Failure, type Ec2Where } from '../errors.ts';
import { CliError, type CliIO } from '../io.ts';
import type { KubeNode, KubePod } from '../kube/objects.ts';
import { ec2EndpointOverride } from '../session.ts';
import { plural } from '../render/text.ts';
import { readClusterEc2 } from './inputs.ts';

/** A Windows node as `subnets` and `migrate` plan with it. */
export interface PlanningNode {
  name: string;
  node: KubeNode;
  instanceId: string | null;
  instanceType: string | null;
  zone: string | null;
  /** The pods bound to the node (finished ones left out: they hold no address). */
  pods: KubePod[];
  /** The instance's primary ENI (device index 0), when EC2 listed it. */
  eni: NetworkInterface | null;
  limits: InstanceLimits | null;
  /** Why the ENI or the limits are missing, in one sentence; null when both were read. */
  unread: string | null;
}

/** What EC2 said about the node's instance, narrowed to its primary ENI and limits, or the first reason they are missing. */
export function planningNode(node: KubeNode, pods: KubePod[], outcome: Ec2Outcome): PlanningNode {
  const name = node.metadata?.name ?? '';
  const { instanceId } = parseProviderId(node.spec?.providerID);
  const instanceType = nodeInstanceType(node);
  const read = outcome.read;
  const eni = read.ok ? (read.interfaces.find((i) => i.deviceIndex === 0) ?? null) : null;
  const unread = !read.ok
    ? read.error
    : !eni
      ? `EC2 in ${read.region} lists ${plural(read.interfaces.length, 'ENI')} of instance ${instanceId} of node ${name} but no primary one (device index 0), so its subnet is unknown`
      : !instanceType
        ? `node ${name} has no ${INSTANCE_TYPE_LABEL} label, so its ENI slots are unknown`
        : !outcome.limits
          ? (outcome.limitsError ?? `the ENI slots of instance type ${instanceType} are unknown`)
          : null;
  return { name, node, instanceId, instanceType, zone: nodeZone(node), pods, eni, limits: outcome.limits ?? null, unread };
}

/**
 * Each node with its pods, primary ENI and limits, EC2 read with `ec2` (the reader for the nodes' region). An
 * EC2 failure stays the node's (`unread`), as it does in `check`.
 */
export async function readPlanningNodes(o: {
  nodes: readonly KubeNode[];
  pods: Promise<KubePod[]>;
  ec2: Ec2Reader;
  where: Ec2Where;
  warn(line: string): void;
}): Promise<PlanningNode[]> {
  const elsewhere = [...new Set(o.nodes.map(nodeRegion).filter((r): r is string => r !== null && r !== o.where.region))];
  if (elsewhere.length > 0) o.warn(`some Windows nodes are in ${elsewhere.join(', ')}, not ${o.where.region}: EC2 is read in ${o.where.region} only; run again with --region for the others`);
  const pinned = { ec2: o.ec2, where: o.where };
  const [outcomes, pods] = await Promise.all([readClusterEc2({ ec2For: async () => pinned }, o.nodes, o.warn), o.pods]);
  const podsOf = new Map<string, KubePod[]>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName ?? '';
    const list = podsOf.get(node);
    if (list) list.push(pod);
    else podsOf.set(node, [pod]);
  }
  return o.nodes.map((node) => {
    const name = node.metadata?.name ?? '';
    return planningNode(node, podsOf.get(name) ?? [], outcomes.get(name)!);
  });
}

/** The subnets of the nodes' primary ENIs, each once, in id order. */
export function subnetsOf(nodes: readonly PlanningNode[]): string[] {
  return [...new Set(nodes.flatMap((n) => (n.eni ? [n.eni.subnetId] : [])))].sort();
}

/** One subnet as EC2 describes it: itself, every ENI in it, its CIDR reservations. */
export interface SubnetRead {
  subnet: Subnet;
  interfaces: readonly NetworkInterface[];
  reservations: readonly CidrReservation[];
}

/**
 * The subnets, in the order given: one DescribeSubnets for all, then for each its ENIs and reservations
 * (every page). EC2 failures are tool errors (CliError), worded with where EC2 was asked.
 */
export async function readSubnets(ec2: Ec2Reader, where: Ec2Where, subnetIds: readonly string[]): Promise<SubnetRead[]> {
  try {
    const subnets = subnetIds.length > 0 ? await ec2.describeSubnets(subnetIds) : [];
    const order = new Map(subnetIds.map((id, i) => [id, i]));
    subnets.sort((a, b) => order.get(a.subnetId)! - order.get(b.subnetId)!);
    return await Promise.all(
      subnets.map(async (subnet) => {
        const [interfaces, reservations] = await Promise.all([ec2.describeSubnetInterfaces(subnet.subnetId), ec2.subnetCidrReservations(subnet.subnetId)]);
        return { subnet, interfaces, reservations };
      }),
    );
  } catch (err) {
    throw new CliError(ec2Failure(err, where), undefined, { cause: err });
  }
}

/** Where EC2 was read, as the planning documents say it (their `ec2`). */
export interface Ec2Place {
  region: string;
  /** Only when one was given (flag or environment); null: the region's public endpoint. */
  endpoint: string | null;
  profile: string | null;
}

/** `where` undefined: EC2 was not asked (no node), so the region as far as --region and the environment say. */
export function ec2Place(aws: AwsConnection, env: CliIO['env'], where: Ec2Where | undefined): Ec2Place {
  if (!where) return { region: aws.region ?? env[Env.region] ?? env[Env.defaultRegion] ?? '', endpoint: null, profile: null };
  return { region: where.region, endpoint: ec2EndpointOverride(aws, env) ?? null, profile: where.profile ?? null };
}
