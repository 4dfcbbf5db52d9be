/**
 * @module
 * SDK shapes -> the port's types (port.ts). EC2 leaves most fields optional; missing ones become '' or
 * undefined here, and an instance without an ENI carrying its private IP is an error (upstream's definition of
 * the primary ENI depends on it).
 */
import type { Instance as SdkInstance, InstanceNetworkInterface as SdkInstanceEni, NetworkInterface as SdkEni } from '@aws-sdk/client-ec2';
import { noPrimaryInterface } from '../../core/ec2/errors.ts';
import type { Instance, NetworkInterface } from '../../core/ec2/port.ts';

/** The address lists, which an ENI and an instance's nested ENI spell the same way. */
function addressesOf(e: {
  PrivateIpAddresses?: Array<{ PrivateIpAddress?: string; Primary?: boolean }>;
  Ipv4Prefixes?: Array<{ Ipv4Prefix?: string }>;
}): Pick<NetworkInterface, 'secondaryIps' | 'prefixes'> {
  return {
    secondaryIps: (e.PrivateIpAddresses ?? []).filter((a) => !a.Primary && a.PrivateIpAddress).map((a) => a.PrivateIpAddress!),
    prefixes: (e.Ipv4Prefixes ?? []).map((p) => p.Ipv4Prefix ?? '').filter(Boolean),
  };
}

export function fromSdkEni(e: SdkEni): NetworkInterface {
  return {
    networkInterfaceId: e.NetworkInterfaceId ?? '',
    subnetId: e.SubnetId ?? '',
    vpcId: e.VpcId ?? '',
    availabilityZone: e.AvailabilityZone ?? '',
    deviceIndex: e.Attachment?.DeviceIndex,
    instanceId: e.Attachment?.InstanceId,
    status: e.Status ?? '',
    primaryPrivateIp: e.PrivateIpAddress ?? '',
    ...addressesOf(e),
  };
}

function fromSdkInstanceEni(e: SdkInstanceEni, instance: SdkInstance): NetworkInterface {
  return {
    networkInterfaceId: e.NetworkInterfaceId ?? '',
    subnetId: e.SubnetId ?? '',
    vpcId: e.VpcId ?? '',
    availabilityZone: instance.Placement?.AvailabilityZone ?? '',
    deviceIndex: e.Attachment?.DeviceIndex,
    instanceId: instance.InstanceId,
    status: e.Status ?? '',
    primaryPrivateIp: e.PrivateIpAddress ?? '',
    ...addressesOf(e),
  };
}

export function fromSdkInstance(i: SdkInstance): Instance {
  const interfaces = (i.NetworkInterfaces ?? []).map((e) => fromSdkInstanceEni(e, i));
  const primary = interfaces.find((e) => e.primaryPrivateIp === i.PrivateIpAddress);
  if (!primary) throw noPrimaryInterface(i.InstanceId, i.PrivateIpAddress);
  return {
    instanceId: i.InstanceId ?? '',
    instanceType: i.InstanceType ?? '',
    subnetId: i.SubnetId ?? '',
    vpcId: i.VpcId ?? '',
    availabilityZone: i.Placement?.AvailabilityZone ?? '',
    privateIp: i.PrivateIpAddress ?? '',
    state: i.State?.Name ?? '',
    primaryInterface: primary,
    interfaces,
  };
}
