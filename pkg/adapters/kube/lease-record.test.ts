import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, observe, released, type LeaseRecord } from './lease-record.ts';

const held = (holder: string, renew: number, seconds = 15, transitions = 3): LeaseRecord => ({
  holderIdentity: holder, leaseDurationSeconds: seconds, acquireTimeMs: 1000, renewTimeMs: renew, leaseTransitions: transitions,
});

test('no lease: create one with us as holder and zero transitions', () => {
  const d = decide({ current: undefined, observed: undefined, identity: 'a', nowMs: 5000, leaseDurationMs: 15_000 });
  assert.deepEqual(d, { action: 'create', record: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTimeMs: 5000, renewTimeMs: 5000, leaseTransitions: 0 } });
});

test('our own lease: renew keeps acquireTime and transitions', () => {
  const d = decide({ current: held('a', 2000), observed: undefined, identity: 'a', nowMs: 4000, leaseDurationMs: 15_000 });
  assert.deepEqual(d, { action: 'update', acquiring: false, record: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTimeMs: 1000, renewTimeMs: 4000, leaseTransitions: 3 } });
});

test("another holder: wait until the holder's own duration has passed since we saw the record change", () => {
  const rec = held('b', 2000, 40);
  const obs = observe(undefined, rec, 10_000);
  // Our configured duration is 15 s, but the holder said 40 s: we must wait 40 s.
  const early = decide({ current: rec, observed: obs, identity: 'a', nowMs: 30_000, leaseDurationMs: 15_000 });
  assert.deepEqual(early, { action: 'wait', holder: 'b', expiresInMs: 20_000 });
  const late = decide({ current: rec, observed: observe(obs, rec, 51_000), identity: 'a', nowMs: 51_000, leaseDurationMs: 15_000 });
  assert.equal(late.action, 'update');
  assert.ok(late.action === 'update' && late.acquiring && late.record.leaseTransitions === 4 && late.record.acquireTimeMs === 51_000);
});

test('a renewal by the holder restarts the observation clock (clock skew does not matter)', () => {
  const first = observe(undefined, held('b', 2000), 10_000);
  const renewed = held('b', 999_999_999); // holder's clock is far ahead
  const obs = observe(first, renewed, 20_000);
  assert.equal(obs.atMs, 20_000);
  assert.equal(observe(obs, renewed, 30_000).atMs, 20_000);
  assert.equal(decide({ current: renewed, observed: obs, identity: 'a', nowMs: 34_000, leaseDurationMs: 15_000 }).action, 'wait');
  assert.equal(decide({ current: renewed, observed: obs, identity: 'a', nowMs: 35_000, leaseDurationMs: 15_000 }).action, 'update');
});

test('a released lease (empty holder) is taken at once', () => {
  const rel = released(held('b', 2000), 3000);
  assert.equal(rel.holderIdentity, '');
  assert.equal(rel.leaseTransitions, 3);
  const d = decide({ current: rel, observed: observe(undefined, rel, 3000), identity: 'a', nowMs: 3001, leaseDurationMs: 15_000 });
  assert.ok(d.action === 'update' && d.acquiring && d.record.leaseTransitions === 4);
});
