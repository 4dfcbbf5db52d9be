import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Lease } from '@kubernetes/client-node';
import { KubeApiError } from './errors.ts';
import { runLeaderElection, type LeaderElectionOptions } from './leader-election.ts';

/** One Lease in memory, with resourceVersion checks like the API server's. */
function fakeCoordination(hooks: { onCreate?: () => void; onReplace?: () => void } = {}) {
  let lease: V1Lease | undefined;
  let rv = 0;
  const calls: string[] = [];
  const notFound = () => new KubeApiError({ status: 404, reason: 'NotFound', serverMessage: 'leases not found' });
  const coordination: LeaderElectionOptions['clients']['coordination'] = {
    async readNamespacedLease() {
      calls.push('read');
      if (!lease) throw notFound();
      return structuredClone(lease);
    },
    async createNamespacedLease({ body }) {
      calls.push('create');
      hooks.onCreate?.();
      lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return structuredClone(lease);
    },
    async replaceNamespacedLease({ body }) {
      calls.push('replace');
      hooks.onReplace?.();
      if (!lease) throw notFound();
      if (body.metadata?.resourceVersion !== lease.metadata?.resourceVersion) {
        throw new KubeApiError({ status: 409, reason: 'Conflict', serverMessage: 'the object has been modified' });
      }
      lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return structuredClone(lease);
    },
  };
  return {
    coordination,
    calls,
    holder: () => lease?.spec?.holderIdentity,
    /** Another writer touches the Lease (a label edit, say): its resourceVersion moves on. */
    touch: () => void (lease = { ...lease!, metadata: { ...lease!.metadata, resourceVersion: String(++rv) } }),
    remove: () => void (lease = undefined),
  };
}

test('a candidate cancelled while its winning attempt is in flight gives the Lease back', async () => {
  const stop = new AbortController();
  // SIGTERM arrives while the create that wins the Lease is on its way.
  const c = fakeCoordination({ onCreate: () => stop.abort() });
  let started = 0;
  let stopped = 0;
  await runLeaderElection({
    clients: { coordination: c.coordination },
    namespace: 'winprefix-system',
    name: 'winprefix-controller',
    identity: 'replica-a',
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    signal: stop.signal,
    releaseOnCancel: true,
    onStartedLeading: () => started++,
    onStoppedLeading: () => stopped++,
  });
  assert.equal(started, 0, 'a cancelled candidate never starts leading');
  assert.equal(stopped, 0);
  assert.equal(c.holder(), '', 'the Lease is released, so the next replica need not wait for it to expire');
});

test('the leader renews onto the Lease it last wrote without reading it; a changed or deleted Lease is read again', async () => {
  const stop = new AbortController();
  let replaces = 0;
  const c = fakeCoordination({
    onReplace: () => {
      replaces++;
      if (replaces === 3) c.touch();
      if (replaces === 6) c.remove();
      if (replaces === 9) stop.abort();
    },
  });
  let started = 0;
  await runLeaderElection({
    clients: { coordination: c.coordination },
    namespace: 'winprefix-system',
    name: 'winprefix-controller',
    identity: 'replica-a',
    leaseDurationMs: 1_500,
    renewDeadlineMs: 1_000,
    retryPeriodMs: 5,
    signal: stop.signal,
    onStartedLeading: () => started++,
    onStoppedLeading: () => {},
  });
  assert.equal(started, 1);
  assert.equal(c.holder(), 'replica-a');
  assert.deepEqual(c.calls, [
    'read', 'create',
    'replace', 'replace',
    'replace', 'read', 'replace', // touched behind our back: 409, read, renew
    'replace',
    'replace', 'read', 'create', // deleted: 404, read, re-create
    'replace', 'replace', 'replace',
  ]);
});
