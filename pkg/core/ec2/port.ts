/**
 * @module
 * The EC2 port: exactly the calls the controller and the plugin make. The SDK adapter
 * (`sdk-adapter.ts`) implements it against real EC2 or the project's simulator.
 * Every method throws {@link Ec2Error} (see `errors.ts`) on failure.
 */
import type { InstanceLimits } from './instance-limits.ts';

export interface NetworkInterface {
  networkInterfaceId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  /** Attachment device index; 0 is the primary ENI. Undefined when detached. */
  deviceIndex: number | undefined;
  instanceId: string | undefined;
  status: string;
  primaryPrivateIp: string;
  /** Secondary private IPv4 addresses (the primary address excluded), bare dotted form. */
  secondaryIps: string[];
  /** Delegated /28 prefixes, CIDR form ("10.0.1.16/28"). */
  prefixes: string[];
}

export interface Instance {
  instanceId: string;
  instanceType: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIp: string;
  state: string;
  /** The ENI whose primary private IP is the instance's private IP (upstream's definition). */
  primaryInterface: NetworkInterface;
  interfaces: NetworkInterface[];
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidr: string;
  availabilityZone: string;
  availableIpAddressCount: number;
}

export interface CidrReservation {
  reservationId: string;
  subnetId: string;
  cidr: string;
  type: 'prefix' | 'explicit';
}

/** Values one EC2 filter takes in a call (EC2's documented limit for instance-id style filters). */
export const INSTANCES_PER_DESCRIBE = 200;

export interface Ec2Port {
  describeInstance(instanceId: string): Promise<Instance>;
  /** One DescribeNetworkInterfaces filtered by `attachment.instance-id` (the plugin's single EC2 read). */
  describeInstanceInterfaces(instanceId: string): Promise<NetworkInterface[]>;
  describeInterface(networkInterfaceId: string): Promise<NetworkInterface>;
  /**
   * The primary ENIs (device index 0) of many instances at once: DescribeNetworkInterfaces filtered by
   * up to {@link INSTANCES_PER_DESCRIBE} instance ids per call, every page followed. The controller's
   * periodic re-read of every managed node costs one call per that many nodes.
   */
  describePrimaryInterfaces(instanceIds: readonly string[]): Promise<NetworkInterface[]>;
  /** Every ENI in a subnet, following pagination (fragmentation views). */
  describeSubnetInterfaces(subnetId: string): Promise<NetworkInterface[]>;
  describeSubnet(subnetId: string): Promise<Subnet>;
  subnetCidrReservations(subnetId: string): Promise<CidrReservation[]>;
  /** Assigns `count` new /28 prefixes and waits (bounded) until DescribeNetworkInterfaces shows them. */
  assignPrefixes(networkInterfaceId: string, count: number): Promise<string[]>;
  /** Assigns `count` new secondary IPs and waits (bounded) until they are visible. */
  assignSecondaryIps(networkInterfaceId: string, count: number): Promise<string[]>;
  unassignPrefixes(networkInterfaceId: string, prefixes: string[]): Promise<void>;
  unassignSecondaryIps(networkInterfaceId: string, ips: string[]): Promise<void>;
  /** Bundled table first, then DescribeInstanceTypes (cached). Throws Ec2Error kind 'not-found' if unknown. */
  instanceLimits(instanceType: string): Promise<InstanceLimits>;
}
