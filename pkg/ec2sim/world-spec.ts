/**
 * @module
 * The shape of a simulator world, as a world file declares it (see docs/ec2-simulator.md).
 * `world-file.ts` parses and validates files into this shape; `world.ts` builds the live state from it.
 */

export interface VpcSpec {
  id: string;
  cidr: string;
}

export interface CidrReservationSpec {
  /** Generated ("scr-...") when omitted. */
  id?: string;
  cidr: string;
  /** prefix: kept for /28 prefixes; explicit: only handed out when asked for by address. */
  type: 'prefix' | 'explicit';
  description?: string;
}

export interface SubnetSpec {
  id: string;
  vpcId: string;
  cidr: string;
  availabilityZone: string;
  reservations?: CidrReservationSpec[];
}

/** A type missing from the bundled limits table, so tests can model DescribeInstanceTypes fallbacks. */
export interface InstanceTypeSpec {
  ipv4PerInterface: number;
  interfaces: number;
  hypervisor: 'nitro' | 'xen' | '';
  bareMetal?: boolean;
}

export interface InstanceSpec {
  id: string;
  type: string;
  subnetId: string;
  privateIp: string;
  /** The primary ENI's id; derived from the instance id when omitted. */
  networkInterfaceId?: string;
  platform?: 'windows' | 'linux';
  state?: 'pending' | 'running' | 'stopping' | 'stopped';
  /** Secondary IPs already on the primary ENI (mixed or fragmented nodes). */
  secondaryIps?: string[];
  /** /28 prefixes already on the primary ENI. */
  prefixes?: string[];
}

/** An ENI not attached to any instance (another tenant of the subnet, e.g. a load balancer). */
export interface NetworkInterfaceSpec {
  id: string;
  subnetId: string;
  privateIp: string;
  secondaryIps?: string[];
  prefixes?: string[];
  description?: string;
  /** Slots (addresses including the primary) this ENI may hold; default 50. */
  maxAddresses?: number;
}

export interface WorldSpec {
  /** Default "us-west-2". */
  region?: string;
  /** Seeds the address picker, so runs are reproducible. Default 1. */
  seed?: number;
  vpcs: VpcSpec[];
  subnets: SubnetSpec[];
  instanceTypes?: Record<string, InstanceTypeSpec>;
  instances: InstanceSpec[];
  networkInterfaces?: NetworkInterfaceSpec[];
}
