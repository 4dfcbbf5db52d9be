/**
 * The planning reads put each Windows node together from Kubernetes and EC2 as every cluster-wide command
 * reads EC2, and say why when they cannot: EC2 is faked here (the one boundary), answering the batched calls
 * as the reader would and counting them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ec2Error } from '../../pkg/core/ec2/errors.ts';
import type { NetworkInterface } from '../../pkg/core/ec2/port.ts';
import type { Ec2Reader, InstanceState } from '../aws/ec2-reader.ts';
import type { Ec2Outcome } from '../describe/gather.ts';
import type { KubeNode, KubePod } from '../kube/objects.ts';
import { planningNode, readPlanningNodes, subnetsOf } from './planning-reads.ts';

const where = { region: 'us-west-2', regionSource: 'the node', endpoint: 'https://ec2.us-west-2.amazonaws.com', profile: undefined, profileSource: undefined };
const node = (name: string, providerID: string | undefined, type: string | undefined): KubeNode => ({
  metadata: { name, labels: { 'kubernetes.io/os': 'windows', ...(type ? { 'node.kubernetes.io/instance-type': type } : {}) } },
  ...(providerID ? { spec: { providerID } } : {}),
});
const eni = (instanceId: string, deviceIndex = 0, subnetId = 'subnet-1'): NetworkInterface => ({
  networkInterfaceId: `eni-${instanceId.slice(2)}-${deviceIndex}`,
  subnetId,
  vpcId: 'vpc-1',
  availabilityZone: 'us-west-2a',
  deviceIndex,
  instanceId,
  status: 'in-use',
  primaryPrivateIp: '10.0.0.5',
  secondaryIps: [],
  prefixes: [],
});
const pod = (name: string, nodeName: string): KubePod => ({ metadata: { name, namespace: 'apps' }, spec: { nodeName } });

/** EC2 as the reader answers it: i-…9 is unknown, i-…5 terminated; x9.large is a type only EC2 knows. */
function fakeEc2(calls: string[]): Ec2Reader {
  return {
    endpoint: where.endpoint,
    async describeInterfacesOfInstances(ids) {
      calls.push(`DescribeNetworkInterfaces ${ids.join(' ')}`);
      return new Map(ids.filter((id) => !['i-00000009', 'i-00000005'].includes(id)).map((id) => [id, id === 'i-00000006' ? [eni(id, 1)] : [eni(id, 1, 'subnet-2'), eni(id)]]));
    },
    async describeInstanceStates(ids) {
      calls.push(`DescribeInstances ${ids.join(' ')}`);
      return new Map<string, InstanceState>(ids.filter((id) => id === 'i-00000005').map((id) => [id, { state: 'terminated', instanceType: 'm5.large' }]));
    },
    async instanceLimits(type) {
      calls.push(`DescribeInstanceTypes ${type}`);
      if (type === 'x9.large') return { instanceType: type, ipv4PerInterface: 7, interfaces: 2, hypervisor: 'nitro', isBareMetal: false };
      throw new Ec2Error('not-found', 'InvalidInstanceType', 'DescribeInstanceTypes', `EC2 DescribeInstanceTypes found no instance type ${type}`);
    },
  } as Partial<Ec2Reader> as Ec2Reader;
}

describe('the Windows nodes as subnets and migrate plan with them', () => {
  it('one batch of ENIs for every node, the primary one kept, and why a node could not be read', async () => {
    const calls: string[] = [];
    const warnings: string[] = [];
    const nodes = [
      node('ok', 'aws:///us-west-2a/i-00000001', 'm5.large'),
      node('runtime-type', 'aws:///us-west-2a/i-00000002', 'x9.large'),
      node('no-provider', undefined, 'm5.large'),
      node('gone', 'aws:///us-west-2a/i-00000009', 'm5.large'),
      node('terminated', 'aws:///us-west-2a/i-00000005', 'm5.large'),
      node('no-type', 'aws:///us-west-2a/i-00000003', undefined),
      node('bad-type', 'aws:///us-west-2a/i-00000004', 'zz.huge'),
      node('no-primary', 'aws:///us-west-2a/i-00000006', 'm5.large'),
    ];
    const read = await readPlanningNodes({ nodes, pods: Promise.resolve([pod('p', 'ok'), pod('q', 'ok'), pod('r', 'gone')]), ec2: fakeEc2(calls), where, warn: (l) => warnings.push(l) });
    assert.deepEqual(calls.sort(), [
      'DescribeInstanceTypes x9.large',
      'DescribeInstanceTypes zz.huge',
      'DescribeInstances i-00000009 i-00000005',
      'DescribeNetworkInterfaces i-00000001 i-00000002 i-00000009 i-00000005 i-00000003 i-00000004 i-00000006',
    ], 'one call per kind: nodes without an instance left out, DescribeInstances only for the instances without ENIs');
    const by = new Map(read.map((n) => [n.name, n]));
    assert.deepEqual(read.map((n) => n.name), nodes.map((n) => n.metadata!.name), 'in the order given');
    assert.equal(by.get('ok')!.unread, null);
    assert.equal(by.get('ok')!.eni!.networkInterfaceId, 'eni-00000001-0', 'the primary ENI, not the other one');
    assert.equal(by.get('ok')!.limits!.ipv4PerInterface, 10);
    assert.deepEqual(by.get('ok')!.pods.map((p) => p.metadata!.name), ['p', 'q']);
    assert.equal(by.get('runtime-type')!.limits!.ipv4PerInterface, 7, 'from DescribeInstanceTypes');
    assert.match(by.get('no-provider')!.unread!, /^node "no-provider" has no spec.providerID, so its ENIs cannot be read: run the AWS cloud controller manager/);
    assert.match(by.get('gone')!.unread!, /^EC2 in us-west-2 \(region from the node, endpoint https:\/\/ec2.us-west-2.amazonaws.com\) has no instance i-00000009 for the credentials of the default AWS chain/);
    assert.equal(by.get('gone')!.eni, null);
    assert.deepEqual(by.get('gone')!.pods.map((p) => p.metadata!.name), ['r']);
    assert.match(by.get('terminated')!.unread!, /^EC2 in us-west-2 says instance i-00000005 is terminated/);
    assert.match(by.get('no-type')!.unread!, /^node no-type has no node.kubernetes.io\/instance-type label, so its ENI slots are unknown$/);
    assert.match(by.get('bad-type')!.unread!, /^instance type zz.huge is not in the bundled table and DescribeInstanceTypes failed, so slots are unknown: EC2 DescribeInstanceTypes found no instance type zz.huge/);
    assert.ok(by.get('bad-type')!.eni, 'its ENI was still read');
    assert.match(by.get('no-primary')!.unread!, /^EC2 in us-west-2 lists 1 ENI of instance i-00000006 of node no-primary but no primary one \(device index 0\), so its subnet is unknown$/);
    assert.deepEqual(warnings, [by.get('bad-type')!.unread], 'the unknown type is also a warning, as in check');
    assert.deepEqual(subnetsOf(read), ['subnet-1']);
  });

  it('EC2 refusing the ENI reads leaves every node unread, naming the permission; nodes elsewhere are warned of', async () => {
    const ec2 = { endpoint: where.endpoint, describeInterfacesOfInstances: () => Promise.reject(new Ec2Error('unauthorized', 'UnauthorizedOperation', 'DescribeNetworkInterfaces', 'no')) } as Partial<Ec2Reader> as Ec2Reader;
    const warnings: string[] = [];
    const nodes = [node('a', 'aws:///us-west-2a/i-00000001', 'm5.large'), node('b', 'aws:///eu-west-1a/i-00000002', 'm5.large')];
    const read = await readPlanningNodes({ nodes, pods: Promise.resolve([]), ec2, where, warn: (l) => warnings.push(l) });
    for (const n of read) assert.match(n.unread!, /AWS denied ec2:DescribeNetworkInterfaces \(UnauthorizedOperation\) to the credentials of the default AWS chain/);
    assert.deepEqual(warnings, ['some Windows nodes are in eu-west-1, not us-west-2: EC2 is read in us-west-2 only; run again with --region for the others']);
  });

  it('a read that failed is the reason, whatever else is missing', () => {
    const outcome: Ec2Outcome = { read: { ok: false, error: 'EC2 said no', errorCode: null, region: 'us-west-2', endpoint: null, profile: null }, limits: undefined, limitsError: 'also this', reader: undefined };
    const n = planningNode(node('x', 'aws:///us-west-2a/i-00000001', undefined), [], outcome);
    assert.deepEqual([n.unread, n.eni, n.limits, n.instanceId, n.zone], ['EC2 said no', null, null, 'i-00000001', 'us-west-2a']);
  });
});
