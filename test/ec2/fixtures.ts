/**
 * @module
 * Shared set-up for the SDK-level EC2 tests: dummy static credentials through the standard environment
 * variables, IMDS disabled (nothing may try 169.254.169.254), and small worlds.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { WorldSpec } from '../../pkg/ec2sim/world-spec.ts';

process.env.AWS_ACCESS_KEY_ID = 'AKIDSIMULATOR';
process.env.AWS_SECRET_ACCESS_KEY = 'simulator-secret';
process.env.AWS_REGION = 'us-west-2';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
delete process.env.AWS_PROFILE;
delete process.env.AWS_ENDPOINT_URL;
delete process.env.AWS_ENDPOINT_URL_EC2;

export const SUBNET = 'subnet-00000001';
export const ENI = 'eni-00000001';
export const INSTANCE = 'i-00000001';

/** One /24 subnet with `instances` m5.large Windows instances (10 slots each). */
export function smallWorld(opts: { instances?: number; cidr?: string; type?: string } = {}): WorldSpec {
  return {
    vpcs: [{ id: 'vpc-00000001', cidr: '10.0.0.0/16' }],
    subnets: [{ id: SUBNET, vpcId: 'vpc-00000001', cidr: opts.cidr ?? '10.0.1.0/24', availabilityZone: 'us-west-2a' }],
    instances: Array.from({ length: opts.instances ?? 1 }, (_, k) => ({
      id: `i-${(k + 1).toString(16).padStart(8, '0')}`,
      type: opts.type ?? 'm5.large',
      subnetId: SUBNET,
      privateIp: `10.0.1.${10 + k}`,
    })),
  };
}

/** The unmodified SDK client, pointed at the simulator, without retries unless asked. */
export function sdkClient(endpoint: string, opts: { maxAttempts?: number } = {}): EC2Client {
  return new EC2Client({ region: 'us-west-2', endpoint, maxAttempts: opts.maxAttempts ?? 1 });
}
