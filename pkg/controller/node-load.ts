/**
 * @module
 * Building a managed node's pool: gather what EC2 says about the instance (one DescribeInstances,
 * one DescribeSubnets, the limits table or DescribeInstanceTypes), then rebuild the pool from the
 * ENI's real state and the node's running pods. Gathering does I/O; rebuilding is pure.
 */
import { isEc2Error, type Ec2Error } from '../core/ec2/errors.ts';
import { primaryEniSlots, supportsPrefixDelegation } from '../core/ec2/instance-limits.ts';
import { resolveNodeConfig } from '../core/ipam/config.ts';
import { NodePool, defaultPoolSettings } from '../core/ipam/pool.ts';
import type { ClusterIpamConfig, EniAddresses, NodeIpamConfig, PodAddress, RestoreReport } from '../core/ipam/types.ts';
import { parseCidr } from '../core/net/ipv4.ts';
import type { NodeInstance } from '../core/planner/node-memory.ts';
import type { NodeEc2Port, Timings } from './ports.ts';

/** The instance as a managed node remembers it, and what its primary ENI held when it was read. */
export interface LoadedInstance extends NodeInstance {
  eni: EniAddresses;
}

export type LoadResult =
  | { ok: true; instance: LoadedInstance }
  | { ok: false; instanceType: string; detail: string };

export async function loadInstance(ec2: NodeEc2Port, instanceId: string): Promise<LoadResult> {
  const instance = await ec2.describeInstance(instanceId);
  let limits;
  try {
    limits = await ec2.instanceLimits(instance.instanceType);
  } catch (err) {
    if (isEc2Error(err) && err.kind === 'not-found') {
      return { ok: false, instanceType: instance.instanceType, detail: 'its ENI limits are neither in the bundled table nor known to EC2 DescribeInstanceTypes' };
    }
    throw err;
  }
  const slots = primaryEniSlots(limits);
  if (slots < 1) return { ok: false, instanceType: instance.instanceType, detail: `its primary ENI has ${limits.ipv4PerInterface} IPv4 address(es), leaving no slot for pods` };
  const subnet = await ec2.describeSubnet(instance.subnetId);
  return {
    ok: true,
    instance: {
      instanceId,
      instanceType: instance.instanceType,
      eniId: instance.primaryInterface.networkInterfaceId,
      subnetId: instance.subnetId,
      subnetPrefixLength: parseCidr(subnet.cidr).prefixLength,
      shape: { instanceType: instance.instanceType, slots, prefixCapable: supportsPrefixDelegation(limits) },
      eni: { secondaryIps: instance.primaryInterface.secondaryIps, prefixes: instance.primaryInterface.prefixes },
    },
  };
}

/**
 * Why a node's instance could not be read, and what to do. Built from the error's kind, code and
 * action only (no request ids), so the recorder folds repeats into one event with a growing count.
 */
export function instanceUnreadableMessage(instanceId: string, err: Ec2Error): string {
  const head = `cannot read instance ${instanceId} from EC2 (${err.action}: ${err.code}), so this node gets no addresses yet`;
  switch (err.kind) {
    case 'unauthorized':
      return `${head}. Grant the controller's IAM role ${err.permission} (docs/controller.md lists every permission it needs); retrying with backoff.`;
    case 'not-found':
      return `${head}. The instance in spec.providerID does not exist in the controller's region: check --region (or AWS_REGION) against the cluster's region; retrying with backoff.`;
    case 'throttled':
      return `${head}. EC2 throttled the request after the SDK's retries; retrying with backoff (lower --ec2-qps if this persists).`;
    case 'unreachable':
      return `${head}. The EC2 endpoint could not be reached; check the network path to EC2 (VPC endpoint, proxy, --ec2-endpoint); retrying with backoff.`;
    default:
      return `${head}; retrying with backoff.`;
  }
}

export interface RestoredPool {
  pool: NodePool;
  config: NodeIpamConfig;
  report: RestoreReport;
}

export function restorePool(
  instance: LoadedInstance,
  cluster: ClusterIpamConfig,
  runningPods: PodAddress[],
  timings: Pick<Timings, 'coolDownMs' | 'releaseHoldDownMs'>,
  now: number,
): RestoredPool {
  const config = resolveNodeConfig(cluster, instance.shape);
  const settings = {
    ...defaultPoolSettings(instance.shape.slots, instance.subnetPrefixLength),
    coolDownMs: timings.coolDownMs,
    releaseHoldDownMs: timings.releaseHoldDownMs,
  };
  const { pool, report } = NodePool.restore(settings, config, instance.eni, runningPods, now);
  return { pool, config, report };
}
