/**
 * @module
 * The cluster-wide pipeline `get nodes` and `check` share (and their `--watch`): what Kubernetes returned,
 * EC2's side read in batches when asked for, every node analysed as `describe node` analyses it, the subnets
 * where pods wait for a /28 read once each to name the block to reserve, and the cross-node findings.
 */
import type { Ec2Outcome } from '../describe/gather.ts';
import { readSubnetRoom } from '../describe/gather.ts';
import type { DescribeInputs } from '../describe/inputs.ts';
import type { KubeNode } from '../kube/objects.ts';
import type { Ec2Access } from '../session.ts';
import type { SubnetRoom } from '../subnet-room.ts';
import { mark } from '../timing.ts';
import { analyzeCluster, starvedSubnets, withSubnetRooms, type ClusterAnalysis } from './analyze.ts';
import { inputsPerNode, notRead, readClusterEc2 } from './inputs.ts';
import type { ClusterSnapshot } from './reads.ts';

export interface Survey {
  inputs: DescribeInputs[];
  analysis: ClusterAnalysis;
  /** EC2's side per node, when it was read (for reuse by a watch until the next read). */
  ec2: Map<string, Ec2Outcome> | undefined;
}

export async function surveyCluster(o: {
  snapshot: Pick<ClusterSnapshot, 'nodes' | 'pods' | 'events' | 'configMap'>;
  /** EC2 to read now; undefined leaves EC2 unread, or uses `previousEc2` where it has the node. */
  access: Ec2Access | undefined;
  previousEc2?: Map<string, Ec2Outcome> | undefined;
  now: Date;
  warn(line: string): void;
  /** -n of `describe node`: the pods listed in a report (the analysis still counts all). */
  podNamespace?: string | null;
}): Promise<Survey> {
  const nodes = o.snapshot.nodes;
  const ec2 = o.access ? await readClusterEc2(o.access, nodes, o.warn) : o.previousEc2;
  if (o.access) mark('cluster: EC2 read');
  const outcomeOf = (node: KubeNode) => ec2?.get(node.metadata?.name ?? '') ?? notRead(node);
  let inputs = inputsPerNode(o.snapshot, outcomeOf, o.now, o.podNamespace ?? null);
  let analysis = analyzeCluster(inputs);
  const starved = o.access ? starvedSubnets(analysis.reports) : new Map<string, number>();
  if (starved.size > 0) {
    const rooms = new Map<string, SubnetRoom>();
    await Promise.all(
      [...starved].map(async ([subnetId, wantedBlocks]) => {
        const i = analysis.reports.findIndex((r) => r.interfaces.some((x) => x.subnetId === subnetId));
        const reader = ec2?.get(nodes[i]?.metadata?.name ?? '')?.reader;
        if (!reader) return;
        try {
          rooms.set(subnetId, await readSubnetRoom(reader, subnetId, wantedBlocks));
        } catch (err) {
          o.warn(`subnet ${subnetId} could not be read, so the reservation command has no CIDR: ${(err as Error).message}`);
        }
      }),
    );
    inputs = withSubnetRooms(inputs, analysis.reports, rooms);
    analysis = analyzeCluster(inputs);
  }
  mark('cluster: analysed');
  return { inputs, analysis, ec2 };
}
