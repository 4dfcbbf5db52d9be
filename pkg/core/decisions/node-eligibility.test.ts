import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideEligibility, unsupportedInstance } from './node-eligibility.ts';
import { instanceIdOf, type NodeView } from '../views/node-view.ts';

const node = (over: Partial<NodeView> = {}): NodeView => ({
  name: 'win-1', uid: 'u1', os: 'windows', computeType: undefined, providerID: 'aws:///us-west-2a/i-0abc123',
  advertisedCapacity: undefined, statusAnnotation: undefined, ...over,
});
const base = { ipamEnabled: true, configMapRef: 'kube-system/amazon-vpc-cni', foreignController: undefined };

test('a Windows node with an instance id is managed', () => {
  assert.deepEqual(decideEligibility({ ...base, node: node() }), { kind: 'managed', instanceId: 'i-0abc123' });
});

test('Linux nodes and EKS Auto Mode nodes are ignored', () => {
  assert.equal(decideEligibility({ ...base, node: node({ os: 'linux' }) }).kind, 'ignore');
  assert.equal(decideEligibility({ ...base, node: node({ computeType: 'auto' }) }).kind, 'ignore');
});

test('a node claimed by another controller is refused with an event that says what to do', () => {
  const d = decideEligibility({ ...base, node: node(), foreignController: 'vpc-resource-controller' });
  assert.equal(d.kind, 'unmanaged');
  assert.ok(d.kind === 'unmanaged' && d.cause === 'foreign-controller');
  assert.ok(d.kind === 'unmanaged' && d.event?.reason === 'ManagedByAnotherController');
  assert.match(d.kind === 'unmanaged' ? d.event!.message : '', /turn Windows IPAM off in the other controller/);
  assert.match(d.kind === 'unmanaged' ? d.event!.message : '', /kubectl annotate node \S+ winprefix\.io\/ipam-status-/);
  assert.ok(d.kind === 'unmanaged' && d.claimant === 'vpc-resource-controller', 'the claimant is recorded with the refusal');
});

test('IPAM disabled and missing instance ids leave the node unmanaged with a reason', () => {
  const off = decideEligibility({ ...base, ipamEnabled: false, node: node() });
  assert.ok(off.kind === 'unmanaged' && off.cause === 'ipam-disabled' && off.event === undefined);
  assert.match(off.kind === 'unmanaged' ? off.reason : '', /kube-system\/amazon-vpc-cni/);
  const noId = decideEligibility({ ...base, node: node({ providerID: undefined }) });
  assert.ok(noId.kind === 'unmanaged' && noId.cause === 'no-instance-id');
});

test('instance ids come from the last providerID segment', () => {
  assert.equal(instanceIdOf('aws:///us-west-2a/i-0123456789abcdef0'), 'i-0123456789abcdef0');
  assert.equal(instanceIdOf('kind://docker/kind/node'), undefined);
  assert.equal(instanceIdOf(undefined), undefined);
});

test('unsupported instance types get the upstream Unsupported reason', () => {
  const d = unsupportedInstance('x9.weird', 'no ENI limits known');
  assert.equal(d.event?.reason, 'Unsupported');
  assert.match(d.event!.message, /x9\.weird/);
});
