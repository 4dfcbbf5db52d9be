/**
 * @module
 * From the cluster-wide reads to one `describe node` input per node, so every node is analysed by exactly the
 * code `describe node` runs (plugin/describe/analyze.ts). EC2 is read per node through `describe node`'s own
 * gather (plugin/describe/gather.ts), with a reader that batches: one DescribeNetworkInterfaces per 200
 * instances of a region, one DescribeInstances (filtered) for the instances that had no ENI, one
 * DescribeInstanceTypes per instance type missing from the bundled table.
 */
import { bundledInstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import { batchedReads, type BatchedReads } from '../aws/batched-reads.ts';
import type { Ec2Reader } from '../aws/ec2-reader.ts';
import { readNodeEc2, type Ec2Outcome } from '../describe/gather.ts';
import type { DescribeInputs } from '../describe/inputs.ts';
import { nodeInstanceType, nodeRegion, parseProviderId } from '../describe/node-facts.ts';
import type { KubeEvent, KubeNode, KubePod } from '../kube/objects.ts';
import type { Ec2Access } from '../session.ts';
import type { ClusterSnapshot } from './reads.ts';

const nameOf = (n: KubeNode) => n.metadata?.name ?? '';

function pushTo<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * EC2's view of every node, read in batches (fresh ones each call: a watch reads again); a node's failure (no
 * providerID, an unknown instance) stays its own.
 */
export async function readClusterEc2(access: Pick<Ec2Access, 'ec2For'>, nodes: readonly KubeNode[], warn: (line: string) => void): Promise<Map<string, Ec2Outcome>> {
  const batched = new Map<Ec2Reader, BatchedReads>();
  const ec2For = async (region: string | null) => {
    const { ec2, where } = await access.ec2For(region);
    let b = batched.get(ec2);
    if (!b) {
      b = batchedReads(ec2);
      batched.set(ec2, b);
    }
    return { ec2: b, where };
  };
  // Announce every instance of a region before any node asks: the batches then hold them all.
  const byRegion = new Map<string | null, string[]>();
  for (const node of nodes) {
    const id = parseProviderId(node.spec?.providerID).instanceId;
    if (!id) continue;
    const region = nodeRegion(node);
    const ids = byRegion.get(region);
    if (ids) ids.push(id);
    else byRegion.set(region, [id]);
  }
  await Promise.all(
    [...byRegion].map(async ([region, ids]) => {
      const reader = await ec2For(region).catch(() => undefined);
      reader?.ec2.expect(ids);
    }),
  );
  const warned = new Set<string>();
  const deps = {
    ec2For,
    warn: (line: string) => {
      if (warned.has(line)) return;
      warned.add(line);
      warn(line);
    },
  };
  const outcomes = await Promise.all(nodes.map(async (node) => [nameOf(node), await readNodeEc2(deps, node, nameOf(node))] as const));
  return new Map(outcomes);
}

/** The outcome for a node whose EC2 side was not asked for (`get nodes` without --ec2). */
export function notRead(node: KubeNode): Ec2Outcome {
  const type = nodeInstanceType(node);
  return {
    read: { ok: false, region: nodeRegion(node), endpoint: null, profile: null, error: 'EC2 was not read (get nodes reads it with --ec2)', errorCode: null },
    limits: type ? bundledInstanceLimits(type) : undefined,
    limitsError: null,
    reader: undefined,
  };
}

/**
 * One `describe node` input per node, from what the cluster-wide reads returned. Events are handed to each node
 * already narrowed to it (its own, and its pods'): the analysis would narrow them the same way, this keeps the
 * work linear in the cluster's size.
 */
export function inputsPerNode(
  snapshot: Pick<ClusterSnapshot, 'nodes' | 'pods' | 'events' | 'configMap'>,
  ec2: (node: KubeNode) => Ec2Outcome,
  now: Date,
  podNamespace: string | null = null,
): DescribeInputs[] {
  const podsOf = new Map<string, KubePod[]>();
  const nodeOfPod = new Map<string, string>();
  for (const pod of snapshot.pods) {
    const node = pod.spec?.nodeName ?? '';
    pushTo(podsOf, node, pod);
    if (pod.metadata?.uid) nodeOfPod.set(pod.metadata.uid, node);
    nodeOfPod.set(`${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, node);
  }
  const eventsOf = new Map<string, KubeEvent[]>();
  for (const event of snapshot.events) {
    const o = event.involvedObject;
    const node = o?.kind === 'Node' ? o.name : (o?.uid && nodeOfPod.get(o.uid)) || nodeOfPod.get(`${o?.namespace ?? ''}/${o?.name ?? ''}`);
    if (!node) continue;
    pushTo(eventsOf, node, event);
  }
  return snapshot.nodes.map((node) => {
    const outcome = ec2(node);
    return {
      node,
      pods: podsOf.get(nameOf(node)) ?? [],
      events: eventsOf.get(nameOf(node)) ?? [],
      configMap: snapshot.configMap,
      ec2: outcome.read,
      limits: outcome.limits,
      subnet: undefined,
      podNamespace,
      now,
    };
  });
}
