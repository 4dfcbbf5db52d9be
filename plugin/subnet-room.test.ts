import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NetworkInterface } from '../pkg/core/ec2/port.ts';
import { causeOf } from './ipam-causes.ts';
import { subnetRoom } from './subnet-room.ts';

const eni = (id: string, primary: string, secondary: string[] = [], prefixes: string[] = []): NetworkInterface => ({
  networkInterfaceId: id,
  subnetId: 'subnet-1',
  vpcId: 'vpc-1',
  availabilityZone: 'us-west-2a',
  deviceIndex: 0,
  instanceId: 'i-1',
  status: 'in-use',
  primaryPrivateIp: primary,
  secondaryIps: secondary,
  prefixes,
});

describe('room for /28 prefixes in a subnet', () => {
  it('counts free aligned blocks as EC2 does (first four and last address reserved, explicit reservations excluded)', () => {
    // 10.0.0.0/26: four /28 blocks; the first holds the reserved .0-.3, the last the reserved .63.
    const room = subnetRoom({ subnetId: 'subnet-1', cidr: '10.0.0.0/26', interfaces: [eni('eni-a', '10.0.0.20')], reservations: [], wantedBlocks: 1 });
    assert.equal(room.freeBlocks, 1, 'only 10.0.0.32/28 is whole and free');
    assert.deepEqual(room.reservation, { cidr: '10.0.0.32/28', inUse: 0, holders: [] });
  });

  it('with no free block, names the block with the fewest addresses in use and who holds them', () => {
    const room = subnetRoom({
      subnetId: 'subnet-1',
      cidr: '10.0.0.0/24',
      interfaces: [
        eni('eni-a', '10.0.0.10', Array.from({ length: 16 }, (_, i) => `10.0.0.${16 * i + 5}`).filter((ip) => ip !== '10.0.0.5')),
        eni('eni-b', '10.0.0.11', ['10.0.0.6'], ['10.0.0.208/28']),
      ],
      reservations: [{ reservationId: 'r', subnetId: 'subnet-1', cidr: '10.0.0.224/27', type: 'explicit' }],
      wantedBlocks: 2,
    });
    assert.equal(room.freeBlocks, 0);
    assert.equal(room.reservation?.cidr.endsWith('/27'), true);
    assert.equal(room.reservation?.inUse, 2);
    assert.deepEqual(room.reservation?.holders, ['eni-a']);
  });
});

describe('causes of pods without an address', () => {
  it('from event reasons, EC2 codes quoted in messages, and the winprefix controller\'s error kinds', () => {
    assert.equal(causeOf({ reason: 'InsufficientCidrBlocks' }), 'insufficient-cidr-blocks');
    assert.equal(causeOf({ reason: 'ResourceAllocationFailed', message: 'failed: InsufficientCidrBlocks: no room' }), 'insufficient-cidr-blocks');
    assert.equal(causeOf({ reason: 'ResourceAllocationFailed', message: 'RequestLimitExceeded: slow down' }), 'throttled');
    assert.equal(causeOf({ reason: 'ResourceAllocationFailed', message: 'You are not authorized (UnauthorizedOperation)' }), 'unauthorized');
    assert.equal(causeOf({ reason: 'throttled', message: '' }), 'throttled');
    assert.equal(causeOf({ reason: 'Unsupported' }), 'unsupported-instance-type');
    assert.equal(causeOf({ reason: 'InstanceUnreadable', message: 'DescribeInstances: InvalidInstanceID.NotFound' }), 'instance-unreadable');
    assert.equal(causeOf({ message: 'the node can hold 144 pods with an address and 144 hold one' }), 'at-capacity');
    assert.equal(causeOf({ reason: 'FailedCreatePodSandBox', message: 'something else entirely' }), 'unknown');
  });
});
