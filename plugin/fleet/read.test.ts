/**
 * The fleet reader puts each Windows node together from Kubernetes and EC2, and says why when it cannot:
 * EC2 is faked here (the one boundary), answering as the reader would.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ec2Error } from '../../pkg/core/ec2/errors.ts';
import type { NetworkInterface } from '../../pkg/core/ec2/port.ts';
import type { Ec2Reader } from '../aws/ec2-reader.ts';
import { readWindowsNodes, windowsSelector, type FleetNode } from './read.ts';

const where = { region: 'us-west-2', regionSource: 'the node', endpoint: 'https://ec2.us-west-2.amazonaws.com', profile: undefined, profileSource: undefined };
const node = (name: string, providerID: string | undefined, type: string | undefined): FleetNode => ({
  metadata: { name, labels: { 'kubernetes.io/os': 'windows', ...(type ? { 'node.kubernetes.io/instance-type': type } : {}) } },
  ...(providerID ? { spec: { providerID } } : {}),
});
const eni = (instanceId: string): NetworkInterface => ({
  networkInterfaceId: `eni-${instanceId.slice(2)}`,
  subnetId: 'subnet-1',
  vpcId: 'vpc-1',
  availabilityZone: 'us-west-2a',
  deviceIndex: 0,
  instanceId,
  status: 'in-use',
  primaryPrivateIp: '10.0.0.5',
  secondaryIps: [],
  prefixes: [],
});

function fakeEc2(asked: string[][]): Ec2Reader {
  return {
    endpoint: where.endpoint,
    describePrimaryInterfaces: async (ids) => {
      asked.push([...ids]);
      return ids.filter((id) => id !== 'i-00000009').map(eni);
    },
    instanceLimits: async (type) => {
      if (type === 'x9.large') return { instanceType: type, ipv4PerInterface: 7, interfaces: 2, hypervisor: 'nitro', isBareMetal: false };
      throw new Ec2Error('not-found', 'InvalidInstanceType', 'DescribeInstanceTypes', `EC2 DescribeInstanceTypes found no instance type ${type}`);
    },
  } as Partial<Ec2Reader> as Ec2Reader;
}

describe('the Windows nodes of a fleet', () => {
  it('selects Windows nodes, plus -l', () => {
    assert.equal(windowsSelector(null), 'kubernetes.io/os=windows');
    assert.equal(windowsSelector('pool=a'), 'kubernetes.io/os=windows,pool=a');
  });

  it('reads ENIs and limits, and says why a node could not be read', async () => {
    const asked: string[][] = [];
    const nodes = [
      node('ok', 'aws:///us-west-2a/i-00000001', 'm5.large'),
      node('runtime-type', 'aws:///us-west-2a/i-00000002', 'x9.large'),
      node('no-provider', undefined, 'm5.large'),
      node('gone', 'aws:///us-west-2a/i-00000009', 'm5.large'),
      node('no-type', 'aws:///us-west-2a/i-00000003', undefined),
      node('bad-type', 'aws:///us-west-2a/i-00000004', 'zz.huge'),
    ];
    const read = await readWindowsNodes({ nodes, pods: new Map([['ok', [{ metadata: { name: 'p' } }]]]), ec2: fakeEc2(asked), where, warn: () => {} });
    assert.deepEqual(asked, [['i-00000001', 'i-00000002', 'i-00000009', 'i-00000003', 'i-00000004']], 'one batch, nodes without an instance left out');
    const by = new Map(read.map((n) => [n.name, n]));
    assert.equal(by.get('ok')!.unread, null);
    assert.equal(by.get('ok')!.limits!.ipv4PerInterface, 10);
    assert.equal(by.get('ok')!.pods.length, 1);
    assert.equal(by.get('runtime-type')!.limits!.ipv4PerInterface, 7, 'from DescribeInstanceTypes');
    assert.match(by.get('no-provider')!.unread!, /^node no-provider has no spec.providerID, so its ENI cannot be read$/);
    assert.match(by.get('gone')!.unread!, /^EC2 in us-west-2 lists no primary ENI for instance i-00000009 of node gone: it is in another region or account, or terminated/);
    assert.equal(by.get('gone')!.eni, null);
    assert.match(by.get('no-type')!.unread!, /has no node.kubernetes.io\/instance-type label/);
    assert.match(by.get('bad-type')!.unread!, /^instance type zz.huge is not in the bundled table and DescribeInstanceTypes failed: EC2 DescribeInstanceTypes found no instance type zz.huge/);
    assert.ok(by.get('bad-type')!.eni, 'its ENI was still read');
  });

  it('an EC2 failure is a tool error naming where EC2 was asked', async () => {
    const ec2 = { describePrimaryInterfaces: async () => Promise.reject(new Ec2Error('unauthorized', 'UnauthorizedOperation', 'DescribeNetworkInterfaces', 'no')) } as Partial<Ec2Reader> as Ec2Reader;
    await assert.rejects(readWindowsNodes({ nodes: [node('a', 'aws:///us-west-2a/i-00000001', 'm5.large')], pods: new Map(), ec2, where, warn: () => {} }), /AWS denied ec2:DescribeNetworkInterfaces \(UnauthorizedOperation\) to the credentials of the default AWS chain/);
  });
});
