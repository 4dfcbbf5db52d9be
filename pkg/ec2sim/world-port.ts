/**
 * @module
 * The EC2 port (pkg/core/ec2/port.ts) answered in-process by a World: the rules the simulator serves over
 * the wire, without HTTP or the SDK. `worldPortNow` answers at once (the pool and planner tests and
 * `kubectl winprefix simulate` drive it step by step); `worldEc2Port` is the same behind the async Ec2Port.
 * test/ec2/port-contract.ts holds both to the contract the SDK adapter meets against the simulator.
 *
 * EC2 is consistent at once here: an assignment shows in the next describe, so there is nothing to wait
 * for (the simulator's visibility delays are a fault of its HTTP layer). Failures are the Ec2Errors the SDK
 * adapter throws for the same EC2 codes.
 */
import { classifyEc2Error } from '../core/ec2/classify.ts';
import { checkAssignCount, Ec2Error, noPrimaryInterface } from '../core/ec2/errors.ts';
import type { Ec2Port, Instance, NetworkInterface } from '../core/ec2/port.ts';
import type { NetworkInterfaceView, World } from './world.ts';

/** An Ec2Port whose calls answer at once instead of through a promise. */
export type Ec2PortNow = { [K in keyof Ec2Port]: (...args: Parameters<Ec2Port[K]>) => Awaited<ReturnType<Ec2Port[K]>> };

export function worldPortNow(world: World): Ec2PortNow {
  const interfaces = (keep: (e: NetworkInterfaceView) => boolean, action = 'DescribeNetworkInterfaces') =>
    call(action, () => world.networkInterfaces().filter(keep).map(portInterface));
  return {
    describeInstance: (instanceId) =>
      call('DescribeInstances', () => {
        const i = world.instance(instanceId);
        const all = i.interfaces.map(portInterface);
        const primary = all.find((e) => e.primaryPrivateIp === i.privateIp);
        if (!primary) throw noPrimaryInterface(instanceId, i.privateIp);
        const instance: Instance = {
          instanceId: i.instanceId,
          instanceType: i.instanceType,
          subnetId: i.subnetId,
          vpcId: i.vpcId,
          availabilityZone: i.availabilityZone,
          privateIp: i.privateIp,
          state: i.state,
          primaryInterface: primary,
          interfaces: all,
        };
        return instance;
      }),
    describeInstanceInterfaces: (instanceId) => interfaces((e) => e.instanceId === instanceId),
    describeInterface: (networkInterfaceId) => call('DescribeNetworkInterfaces', () => portInterface(world.networkInterface(networkInterfaceId))),
    describePrimaryInterfaces: (instanceIds) => {
      const wanted = new Set(instanceIds);
      return interfaces((e) => e.deviceIndex === 0 && e.instanceId !== undefined && wanted.has(e.instanceId));
    },
    describeSubnetInterfaces: (subnetId) =>
      call('DescribeNetworkInterfaces', () => {
        // EC2 filters by a subnet id it does not know to nothing; the port reads an unknown subnet as empty too.
        return world.networkInterfaces().filter((e) => e.subnetId === subnetId).map(portInterface);
      }),
    describeSubnet: (subnetId) => call('DescribeSubnets', () => ({ ...world.subnet(subnetId) })),
    subnetCidrReservations: (subnetId) =>
      call('GetSubnetCidrReservations', () => world.reservations(subnetId).map((r) => ({ reservationId: r.reservationId, subnetId: r.subnetId, cidr: r.cidr, type: r.type }))),
    assignPrefixes: (networkInterfaceId, count) =>
      call('AssignPrivateIpAddresses', () => {
        checkAssignCount(count);
        return world.assign(networkInterfaceId, { prefixCount: count }).prefixes;
      }),
    assignSecondaryIps: (networkInterfaceId, count) =>
      call('AssignPrivateIpAddresses', () => {
        checkAssignCount(count);
        return world.assign(networkInterfaceId, { secondaryCount: count }).secondaryIps;
      }),
    unassignPrefixes: (networkInterfaceId, prefixes) =>
      call('UnassignPrivateIpAddresses', () => {
        if (prefixes.length > 0) world.unassign(networkInterfaceId, { prefixes });
      }),
    unassignSecondaryIps: (networkInterfaceId, ips) =>
      call('UnassignPrivateIpAddresses', () => {
        // Callers may hold annotation-style "ip/mask" values; EC2 takes bare addresses.
        if (ips.length > 0) world.unassign(networkInterfaceId, { secondaryIps: ips.map((ip) => ip.split('/')[0]!) });
      }),
    instanceLimits: (instanceType) =>
      call('DescribeInstanceTypes', () => {
        const limits = world.instanceLimits(instanceType);
        if (!limits) throw new Ec2Error('not-found', 'InvalidInstanceType', 'DescribeInstanceTypes', `EC2 DescribeInstanceTypes found no instance type ${instanceType} (check the id and the region)`);
        return { ...limits };
      }),
  };
}

/** The same World behind the async Ec2Port. */
export function worldEc2Port(world: World): Ec2Port {
  const now = worldPortNow(world);
  const port = {} as Record<keyof Ec2Port, unknown>;
  for (const key of Object.keys(now) as Array<keyof Ec2Port>) {
    const fn = now[key] as (...args: unknown[]) => unknown;
    port[key] = async (...args: unknown[]) => fn(...args);
  }
  return port as unknown as Ec2Port;
}

function call<T>(action: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw classifyEc2Error(err, action);
  }
}

/** The port's fields of a simulator view, and nothing the wire protocol adds. */
function portInterface(e: NetworkInterfaceView): NetworkInterface {
  return {
    networkInterfaceId: e.networkInterfaceId,
    subnetId: e.subnetId,
    vpcId: e.vpcId,
    availabilityZone: e.availabilityZone,
    deviceIndex: e.deviceIndex,
    instanceId: e.instanceId,
    status: e.status,
    primaryPrivateIp: e.primaryPrivateIp,
    secondaryIps: e.secondaryIps,
    prefixes: e.prefixes,
  };
}
