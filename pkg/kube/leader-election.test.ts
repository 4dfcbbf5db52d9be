import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Lease } from '@kubernetes/client-node';
import { KubeApiError } from './errors.ts';
import { runLeaderElection, type LeaderElectionOptions } from './leader-election.ts';

/** One Lease in memory, with resourceVersion checks like the API server's. */
function fakeCoordination(hooks: { onCreate?: () => void } = {}) {
  let lease: V1Lease | undefined;
  let rv = 0;
  const notFound = () => new KubeApiError({ status: 404, reason: 'NotFound', serverMessage: 'leases not found' });
  const coordination: LeaderElectionOptions['clients']['coordination'] = {
    async readNamespacedLease() {
      if (!lease) throw notFound();
      return structuredClone(lease);
    },
    async createNamespacedLease({ body }) {
      hooks.onCreate?.();
      lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return structuredClone(lease);
    },
    async replaceNamespacedLease({ body }) {
      if (!lease) throw notFound();
      if (body.metadata?.resourceVersion !== lease.metadata?.resourceVersion) {
        throw new KubeApiError({ status: 409, reason: 'Conflict', serverMessage: 'the object has been modified' });
      }
      lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return structuredClone(lease);
    },
  };
  return { coordination, holder: () => lease?.spec?.holderIdentity };
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
