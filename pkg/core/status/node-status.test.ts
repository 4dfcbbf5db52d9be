import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeNodeStatus, describeNodeStatusSchema, encodeNodeStatus, nodeStatusChangeKey, recordedClaimant, unmanagedNodeStatus } from './node-status.ts';

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

test('every field is checked: a hand-edited document is rejected with the paths that are wrong, never cast', () => {
  const good = unmanagedNodeStatus('r', at);
  const edited = JSON.stringify({
    ...good,
    mode: 'prefix',
    prefixes: [{ cidr: '10.0.1.16/28', used: 1, free: 15, cooling: 0, map: 'u...............' }, { cidr: 'ten', used: -1, free: 0, cooling: 0, map: 'x' }],
    lastError: { reason: 'throttled', message: 'm', at: 'yesterday' },
  });
  const decoded = decodeNodeStatus(edited);
  assert.equal(decoded?.ok, false);
  assert.equal(
    decoded?.ok === false && decoded.error,
    'annotation winprefix.io/ipam-status does not match schema version 1: prefixes[1].cidr: expected an IPv4 CIDR, got "ten"; ' +
      'prefixes[1].used: expected an integer >= 0, got -1; prefixes[1].map: expected 16 of u . c, got "x" (and 1 more)',
  );
  assert.deepEqual(decodeNodeStatus('[1]'), { ok: false, error: 'annotation winprefix.io/ipam-status is not a JSON object' });
});

test('what the controller writes always decodes (fields it adds later are accepted within version 1)', () => {
  const written = { ...unmanagedNodeStatus('r', at, { claimedBy: 'c' }), someFutureField: { x: 1 } };
  assert.equal(decodeNodeStatus(JSON.stringify(written))?.ok, true);
});

test('docs/controller.md shows the schema the code validates', () => {
  const doc = readFileSync(new URL('../../../docs/controller.md', import.meta.url), 'utf8');
  const block = /printed from `NODE_STATUS_SCHEMA`[\s\S]*?```text\n([\s\S]*?)\n```/.exec(doc)?.[1];
  assert.ok(block, 'docs/controller.md has the NODE_STATUS_SCHEMA text block');
  assert.equal(block, describeNodeStatusSchema().join('\n'), 'regenerate the block from describeNodeStatusSchema()');
});
