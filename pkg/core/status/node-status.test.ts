import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeNodeStatus, encodeNodeStatus, nodeStatusChangeKey, recordedClaimant, unmanagedNodeStatus } from './node-status.ts';

const at = new Date('2026-11-22T03:00:00Z');

test('a refusal for another controller survives an encode/decode round trip as claimedBy', () => {
  const refused = unmanagedNodeStatus('managed by another IPAM controller (vpc-resource-controller)', at, { claimedBy: 'vpc-resource-controller' });
  const text = encodeNodeStatus(refused);
  assert.deepEqual(decodeNodeStatus(text), { ok: true, status: refused });
  assert.equal(recordedClaimant(text), 'vpc-resource-controller');
});

test('no recorded claimant for other unmanaged reasons, managed nodes, or unreadable annotations', () => {
  assert.equal(recordedClaimant(encodeNodeStatus(unmanagedNodeStatus('Windows IPAM is disabled', at))), undefined);
  assert.equal(recordedClaimant(JSON.stringify({ v: 1, at: at.toISOString(), mode: 'prefix', reason: 'x', claimedBy: 'y' })), undefined);
  assert.equal(recordedClaimant(undefined), undefined);
  assert.equal(recordedClaimant('{not json'), undefined);
  assert.equal(recordedClaimant(JSON.stringify({ v: 2, at: at.toISOString(), mode: 'unmanaged', reason: 'x', claimedBy: 'y' })), undefined);
});

test('the change key ignores only the timestamp', () => {
  const a = unmanagedNodeStatus('r', at, { claimedBy: 'c' });
  const b = unmanagedNodeStatus('r', new Date(at.getTime() + 60_000), { claimedBy: 'c' });
  assert.equal(nodeStatusChangeKey(a), nodeStatusChangeKey(b));
  assert.notEqual(nodeStatusChangeKey(a), nodeStatusChangeKey(unmanagedNodeStatus('r', at)));
});
