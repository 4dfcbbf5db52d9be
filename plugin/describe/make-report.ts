/**
 * @module
 * One node's report from reads already in flight: gather (gather.ts), analyse (analyze.ts), and when pods wait
 * because the node's subnet has no free /28, read that subnet once and analyse again so the advice names the
 * block to reserve. `describe node` prints it; `why pod` tells one pod's story from it.
 */
import { analyzeNode } from './analyze.ts';
import { gatherNodeInputs, readSubnetRoom, starvedSubnet, type GatherDeps, type GatherRequest } from './gather.ts';
import type { DescribeInputs } from './inputs.ts';
import type { KubeReads } from './kube-reads.ts';
import type { NodeReport } from './report.ts';

export async function makeNodeReport(deps: GatherDeps, req: GatherRequest, reads: KubeReads): Promise<{ report: NodeReport; inputs: DescribeInputs }> {
  const gathered = await gatherNodeInputs(deps, req, reads);
  let inputs = gathered.inputs;
  let report = analyzeNode(inputs);
  const starved = starvedSubnet(report);
  if (starved && gathered.ec2) {
    const room = await readSubnetRoom(gathered.ec2, starved.subnetId, starved.wantedBlocks).catch((err: unknown) => {
      deps.warn(`subnet ${starved.subnetId} could not be read, so the reservation command has no CIDR: ${(err as Error).message}`);
      return undefined;
    });
    if (room) {
      inputs = { ...inputs, subnet: room };
      report = analyzeNode(inputs);
    }
  }
  return { report, inputs };
}
