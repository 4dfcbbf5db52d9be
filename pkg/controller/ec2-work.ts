/**
 * @module
 * Performs one Ec2Request the pool asked for, on the node's primary ENI, through the EC2 port (the SDK
 * adapter), and turns whatever EC2 answered into the typed Ec2Result the pool understands
 * (pkg/core/ec2/pool-requests.ts says which call and what its answer means).
 */
import { poolResultOf, sendPoolRequest, type PoolEc2Port } from '../core/ec2/pool-requests.ts';
import type { Ec2Request, Ec2Result } from '../core/ipam/types.ts';

export async function performEc2Request(ec2: PoolEc2Port, eniId: string, request: Ec2Request): Promise<Ec2Result> {
  try {
    return poolResultOf(request, { value: await sendPoolRequest(ec2, eniId, request) });
  } catch (error) {
    return poolResultOf(request, { error });
  }
}
