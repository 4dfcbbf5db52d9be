/**
 * @module
 * The Windows nodes a cluster-wide command looks at, with what it needs of each: the node object, the pods
 * bound to it, its instance's primary ENI and the ENI limits of its type. Kubernetes: one paged LIST of
 * nodes with `kubernetes.io/os=windows` (and the user's -l), then pods per node (spec.nodeName, a few at a
 * time over one connection). EC2: DescribeNetworkInterfaces by instance id (200 per call) and
 * DescribeInstanceTypes for types missing from the bundled table. A node that cannot be read from EC2 is
 * kept, with why, so no command ever plans or counts it silently.
 */
import { INSTANCE_TYPE_LABEL, OS_LABEL, WINDOWS } from '../../pkg/core/contract.ts';
import { bundledInstanceLimits, type InstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import type { CidrReservation, NetworkInterface, Subnet } from '../../pkg/core/ec2/port.ts';
import type { Ec2Reader } from '../aws/ec2-reader.ts';
import { nodeInstanceType, nodeZone, parseProviderId } from '../describe/node-facts.ts';
import { ec2Failure, kubeFailure, type Ec2Where } from '../errors.ts';
import { CliError } from '../io.ts';
import { listAll, mapLimited } from '../kube/list.ts';
import type { KubeList, KubeNode, KubePod } from '../kube/objects.ts';
import type { KubeReader } from '../kube/rest.ts';

/** Pod lists in flight at once: they share one HTTP/2 connection. */
const POD_READS_AT_ONCE = 8;

export type FleetNode = KubeNode & { spec?: { unschedulable?: boolean } };

export interface WindowsNode {
  name: string;
  node: FleetNode;
  instanceId: string | null;
  instanceType: string | null;
  zone: string | null;
  /** Every pod bound to the node, any phase. */
  pods: KubePod[];
  /** The instance's primary ENI (device index 0), when EC2 listed it. */
  eni: NetworkInterface | null;
  limits: InstanceLimits | null;
  /** Why the ENI or the limits are missing, in one sentence; null when both were read. */
  unread: string | null;
}

export function windowsSelector(userSelector: string | null): string {
  return [`${OS_LABEL}=${WINDOWS}`, ...(userSelector ? [userSelector] : [])].join(',');
}

export async function listWindowsNodes(kube: KubeReader, userSelector: string | null): Promise<FleetNode[]> {
  const nodes = await listAll<FleetNode>(kube, '/api/v1/nodes', { query: { labelSelector: windowsSelector(userSelector) }, what: 'list nodes' }).catch((err: unknown) => {
    throw kubeFailure(err, 'list nodes');
  });
  return nodes.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

export async function readPodsOf(kube: KubeReader, names: readonly string[]): Promise<Map<string, KubePod[]>> {
  const lists = await mapLimited(names, POD_READS_AT_ONCE, (name) =>
    kube
      .get<KubeList<KubePod>>('/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${name}` }, what: 'list pods' })
      .then((l) => l.items ?? [])
      .catch((err: unknown) => {
        throw kubeFailure(err, 'list pods');
      }),
  );
  return new Map(names.map((n, i) => [n, lists[i]!]));
}

/** Reads the EC2 half for `nodes` and puts each node together; EC2 failures are tool errors (CliError). */
export async function readWindowsNodes(o: {
  nodes: readonly FleetNode[];
  pods: ReadonlyMap<string, KubePod[]>;
  ec2: Ec2Reader;
  where: Ec2Where;
  warn(line: string): void;
}): Promise<WindowsNode[]> {
  const facts = o.nodes.map((node) => ({ node, name: node.metadata?.name ?? '', ...parseProviderId(node.spec?.providerID), instanceType: nodeInstanceType(node) }));
  const ids = facts.flatMap((f) => (f.instanceId ? [f.instanceId] : []));
  let enis: NetworkInterface[];
  try {
    enis = ids.length > 0 ? await o.ec2.describePrimaryInterfaces(ids) : [];
  } catch (err) {
    throw new CliError(ec2Failure(err, o.where), undefined, { cause: err });
  }
  const byInstance = new Map(enis.map((e) => [e.instanceId ?? '', e]));
  const types = [...new Set(facts.flatMap((f) => (f.instanceType ? [f.instanceType] : [])))];
  const limits = new Map<string, InstanceLimits | string>();
  await Promise.all(
    types.map(async (t) => {
      const bundled = bundledInstanceLimits(t);
      if (bundled) return limits.set(t, bundled);
      try {
        limits.set(t, await o.ec2.instanceLimits(t));
      } catch (err) {
        limits.set(t, `instance type ${t} is not in the bundled table and DescribeInstanceTypes failed: ${ec2Failure(err, o.where)}`);
      }
    }),
  );
  return facts.map((f) => {
    const eni = f.instanceId ? (byInstance.get(f.instanceId) ?? null) : null;
    const typeLimits = f.instanceType ? limits.get(f.instanceType) : undefined;
    const unread = !f.instanceId
      ? `node ${f.name} has ${f.node.spec?.providerID ? `providerID "${f.node.spec.providerID}", which names no EC2 instance` : 'no spec.providerID'}, so its ENI cannot be read`
      : !eni
        ? `EC2 in ${o.where.region} lists no primary ENI for instance ${f.instanceId} of node ${f.name}: it is in another region or account, or terminated (check --region and --profile)`
        : !f.instanceType
          ? `node ${f.name} has no ${INSTANCE_TYPE_LABEL} label, so its ENI slots are unknown`
          : typeof typeLimits === 'string'
            ? typeLimits
            : null;
    return {
      name: f.name,
      node: f.node,
      instanceId: f.instanceId,
      instanceType: f.instanceType,
      zone: nodeZone(f.node),
      pods: o.pods.get(f.name) ?? [],
      eni,
      limits: typeLimits && typeof typeLimits !== 'string' ? typeLimits : null,
      unread,
    };
  });
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
