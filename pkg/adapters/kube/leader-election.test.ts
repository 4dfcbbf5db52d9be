/**
 * The leader election's shell against an in-memory Lease (the one faked boundary; test/kube/leader-election.test.ts
 * runs real candidates on a real API server), with a ManualClock: no test here sleeps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Lease } from '@kubernetes/client-node';
import { KubeApiError } from './errors.ts';
import { runLeaderElection, type LeaderElectionOptions } from './leader-election.ts';
import { ManualClock } from '../../support/clock.ts';
import type { WriteFence } from '../../support/fence.ts';

/** Lets pending promise callbacks run, without letting time pass. */
const turn = () => new Promise<void>((ok) => setImmediate(ok));
async function until(what: string, cond: () => boolean, turns = 1_000) {
  for (let i = 0; !cond(); i++) {
    if (i >= turns) throw new Error(`${what}: not reached`);
    await turn();
  }
}

/** One Lease in memory, with resourceVersion checks like the API server's. */
function fakeCoordination(hooks: { onCreate?: () => void; onReplace?: () => void | Promise<void> } = {}) {
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
      await hooks.onReplace?.();
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

/** Advances `clock` by `stepMs` whenever a timer waits, from outside the code under test. */
function ticking(clock: ManualClock, stepMs: number): ManualClock {
  const tick = () => {
    if (clock.pendingTimers() > 0) clock.advance(stepMs);
    setImmediate(tick).unref();
  };
  setImmediate(tick).unref();
  return clock;
}

const TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** Who runs for which Lease, on `c`. */
const replicaA = (c: ReturnType<typeof fakeCoordination>) => ({
  clients: { coordination: c.coordination },
  namespace: 'winprefix-system',
  name: 'winprefix-controller',
  identity: 'replica-a',
});

/** A leader under test: what it was handed, what it saw while draining, and how it ended. */
function leader(c: ReturnType<typeof fakeCoordination>, clock: ManualClock, o: Partial<LeaderElectionOptions> = {}) {
  const stop = new AbortController();
  const seen = {
    fence: undefined as WriteFence | undefined,
    signal: undefined as AbortSignal | undefined,
    stopped: false,
    /** Whether writes were allowed, and who held the Lease, while beforeRelease ran. */
    duringDrain: undefined as { allowed: boolean; holder: string | undefined; signalAborted: boolean } | undefined,
  };
  let drained: () => void = () => {};
  const drain = new Promise<void>((ok) => (drained = ok));
  const done = runLeaderElection({
    ...replicaA(c),
    ...TIMING,
    signal: stop.signal,
    releaseOnCancel: true,
    onStartedLeading: (signal, fence) => {
      seen.signal = signal;
      seen.fence = fence;
    },
    onStoppedLeading: () => void (seen.stopped = true),
    beforeRelease: async () => {
      seen.duringDrain = { allowed: seen.fence!.allowed(), holder: c.holder(), signalAborted: seen.signal!.aborted };
      await drain;
    },
    clock,
    ...o,
  });
  return { stop, seen, done, drained };
}

/** A leader on a plain in-memory Lease, once it leads. */
async function leading() {
  const clock = new ManualClock();
  const c = fakeCoordination();
  const l = leader(c, clock);
  await until('leading', () => l.seen.fence !== undefined);
  return { clock, c, l };
}

test('the fence is open while leading and counts the validity window from when the renewal was sent', async () => {
  const clock = new ManualClock(1_000);
  let answer: () => void = () => {};
  let slow = false;
  const c = fakeCoordination({ onReplace: () => (slow ? new Promise<void>((ok) => (answer = ok)) : undefined) });
  const l = leader(c, clock);
  await until('leading', () => l.seen.fence !== undefined);
  assert.equal(l.seen.fence!.allowed(), true);
  slow = true;
  clock.advance(TIMING.retryPeriodMs); // the renewal is sent at 3000 ...
  await until('renewal sent', () => c.calls.length === 3);
  clock.advance(4_000); // ... and answered at 7000
  answer();
  await turn();
  slow = false;
  // Valid until 3000 + 10000, not 7000 + 10000. The next renewals are held back by pausing the process.
  clock.skip(13_000 - 1 - clock.now());
  assert.equal(l.seen.fence!.allowed(), true, 'just inside the window');
  clock.skip(1);
  assert.equal(l.seen.fence!.allowed(), false, 'the window closed at the send time plus the renew deadline');
  assert.equal(l.seen.signal!.aborted, false, 'no timer has run yet: the fence alone refuses');
  l.drained();
  clock.advance(0);
  await l.done;
  assert.equal(l.seen.signal!.aborted, true);
});

test('a pause past the renew deadline is noticed before any renew attempt: no write, no renewal, signal aborted, nothing released', async () => {
  const { clock, c, l } = await leading();
  const callsBefore = [...c.calls];
  clock.skip(TIMING.renewDeadlineMs + 5_000); // SIGSTOP
  assert.equal(l.seen.fence!.allowed(), false, 'refused the moment the process runs again');
  clock.advance(0); // the overdue renewal timer runs
  await until('stepping down', () => l.seen.duringDrain !== undefined);
  assert.deepEqual(l.seen.duringDrain, { allowed: false, holder: 'replica-a', signalAborted: true }, 'lost: writes closed at once, before the drain');
  l.drained();
  await l.done;
  assert.deepEqual(c.calls, callsBefore, 'no renewal was attempted after the pause, and a lost Lease is not released');
  assert.equal(l.seen.stopped, true);
});

test('renewals that keep failing lose the Lease at the deadline: the fence closes at once', async () => {
  const clock = new ManualClock();
  let failing = false;
  const c = fakeCoordination({
    onReplace: () => {
      if (failing) throw new KubeApiError({ status: 503, reason: 'ServiceUnavailable', serverMessage: 'etcd down' });
    },
  });
  // The read after a failed renewal fails too.
  const read = c.coordination.readNamespacedLease.bind(c.coordination);
  c.coordination.readNamespacedLease = async (a) => {
    if (failing) throw new KubeApiError({ status: 503, reason: 'ServiceUnavailable', serverMessage: 'etcd down' });
    return read(a);
  };
  const l = leader(c, clock);
  await until('leading', () => l.seen.fence !== undefined);
  failing = true;
  while (clock.now() < TIMING.renewDeadlineMs - 1) {
    clock.advance(Math.min(1_000, TIMING.renewDeadlineMs - 1 - clock.now()));
    await turn();
    assert.equal(l.seen.fence!.allowed(), true, `still inside the window at ${clock.now()}`);
  }
  assert.ok(c.calls.filter((x) => x === 'replace').length >= 4, 'renewals were attempted');
  clock.advance(1);
  assert.equal(l.seen.fence!.allowed(), false);
  await until('stepping down', () => l.seen.duringDrain !== undefined);
  assert.deepEqual(l.seen.duringDrain, { allowed: false, holder: 'replica-a', signalAborted: true });
  l.drained();
  await l.done;
  assert.equal(l.seen.stopped, true);
});

test('told to stop: the work is told first, writes stay allowed while it drains, then the Lease is released', async () => {
  const { clock, c, l } = await leading();
  clock.advance(TIMING.retryPeriodMs);
  await turn();
  l.stop.abort();
  await until('draining', () => l.seen.duringDrain !== undefined);
  assert.deepEqual(l.seen.duringDrain, { allowed: true, holder: 'replica-a', signalAborted: true }, 'the Lease is still ours while the work drains');
  clock.advance(3_000);
  assert.equal(l.seen.fence!.allowed(), true, 'still valid by our clock');
  assert.equal(c.holder(), 'replica-a', 'not released before the drain ends');
  l.drained();
  await l.done;
  assert.equal(l.seen.fence!.allowed(), false, 'closed once released');
  assert.equal(c.holder(), '', 'released for the next replica');
  assert.equal(l.seen.stopped, true);
});

test('told to stop while a drain outlasts the Lease: the fence closes when the validity window does', async () => {
  const { clock, c, l } = await leading();
  l.stop.abort();
  await until('draining', () => l.seen.duringDrain !== undefined);
  clock.advance(TIMING.renewDeadlineMs - 1);
  assert.equal(l.seen.fence!.allowed(), true);
  clock.advance(1);
  assert.equal(l.seen.fence!.allowed(), false, 'nothing renews while stepping down, so the window runs out');
  l.drained();
  await l.done;
});

test('a candidate cancelled while its winning attempt is in flight gives the Lease back', async () => {
  const stop = new AbortController();
  // SIGTERM arrives while the create that wins the Lease is on its way.
  const c = fakeCoordination({ onCreate: () => stop.abort() });
  let started = 0;
  let stopped = 0;
  await runLeaderElection({
    ...replicaA(c),
    ...TIMING,
    signal: stop.signal,
    releaseOnCancel: true,
    onStartedLeading: () => started++,
    onStoppedLeading: () => stopped++,
    clock: new ManualClock(),
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
    ...replicaA(c),
    leaseDurationMs: 1_500,
    renewDeadlineMs: 1_000,
    retryPeriodMs: 5,
    signal: stop.signal,
    onStartedLeading: () => started++,
    onStoppedLeading: () => {},
    clock: ticking(new ManualClock(), 5),
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
