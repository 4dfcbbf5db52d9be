/**
 * @module
 * The cluster's IPAM, analysed: every node by `describe node`'s own analysis (plugin/describe/analyze.ts),
 * then what only the whole cluster shows (cross-node.ts). Pure: the reads happen before (inputs.ts).
 */
import { analyzeNode } from '../describe/analyze.ts';
import { starvedSubnet } from '../describe/gather.ts';
import type { DescribeInputs } from '../describe/inputs.ts';
import type { NodeReport } from '../describe/report.ts';
import type { SubnetRoom } from '../subnet-room.ts';
import { crossNodeFindings, type CrossNodeFinding } from './cross-node.ts';

export interface ClusterAnalysis {
  /** One per node, in the order of the inputs. */
  reports: NodeReport[];
  /** Findings about more than one node. */
  crossNode: CrossNodeFinding[];
}

export function analyzeCluster(inputs: readonly DescribeInputs[]): ClusterAnalysis {
  const reports = inputs.map((i) => analyzeNode(i));
  const region = reports.find((r) => r.ec2.region)?.ec2.region ?? null;
  return { reports, crossNode: crossNodeFindings(reports, inputs.map((i) => i.node), region) };
}

/**
 * The subnets worth reading after a first analysis (pods wait because they have no free /28), each once, for
 * as many blocks as all their waiting pods need: `describe node` reads its one subnet the same way.
 */
export function starvedSubnets(reports: readonly NodeReport[]): Map<string, number> {
  const wanted = new Map<string, number>();
  for (const r of reports) {
    const s = starvedSubnet(r);
    if (s) wanted.set(s.subnetId, (wanted.get(s.subnetId) ?? 0) + s.wantedBlocks);
  }
  return wanted;
}

/** The inputs again with each node's subnet room, where one was read for its subnet. */
export function withSubnetRooms(inputs: readonly DescribeInputs[], reports: readonly NodeReport[], rooms: ReadonlyMap<string, SubnetRoom>): DescribeInputs[] {
  return inputs.map((input, i) => {
    const s = starvedSubnet(reports[i]!);
    const room = s ? rooms.get(s.subnetId) : undefined;
    return room ? { ...input, subnet: room } : input;
  });
}
