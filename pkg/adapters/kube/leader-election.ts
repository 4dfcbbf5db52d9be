/**
 * @module
 * Leader election on a coordination.k8s.io/v1 Lease, client-go's algorithm (client-node has no
 * helper: docs/platform-notes.md, "Leader election"). The decisions are pure: whether to take,
 * renew or wait for the Lease (lease-record.ts), and when to try, when leadership is lost, how to
 * step down and whether a write is allowed (leader-election-machine.ts). This module is the shell:
 * the API calls, the timers on the injected Clock, and the callbacks.
 *
 * Times are written as V1MicroTime: a plain Date serializes with 3 fractional digits and the
 * API server rejects it (docs/platform-notes.md, "MicroTime and events"). Writes carry the
 * resourceVersion we read, so two candidates racing for an expired lease cannot both win (one
 * gets 409).
 */
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { KubeApiError, isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import { decide, observe, released, type LeaseRecord, type Observation } from './lease-record.ts';
import { silentLogger, type Logger } from '../../support/log.ts';
import { fenceOf, type WriteFence } from '../../support/fence.ts';
import { systemClock, type Clock, type TimerHandle } from '../../support/clock.ts';
import { driveMachine } from '../../support/state-machine.ts';
import { INITIAL_ELECTION_STATE, mayWrite, stepElection, type ElectionAction, type ElectionEvent, type ElectionState } from './leader-election-machine.ts';

export interface LeaderElectionOptions {
  clients: { coordination: Pick<CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'> };
  namespace: string;
  name: string;
  /** Unique per replica: pod name plus a random suffix is usual. */
  identity: string;
  /** How long others wait after our last renewal before taking over (client-go default 15 s). */
  leaseDurationMs: number;
  /** The leader gives up if it has not renewed for this long (< leaseDurationMs; default 10 s). */
  renewDeadlineMs: number;
  /** Time between attempts to acquire or renew (default 2 s). */
  retryPeriodMs: number;
  log?: Logger;
  /**
   * Called once we lead; `signal` aborts when leadership ends (lost, or cancelled). `fence` allows
   * writes only while the Lease we last renewed is valid by our own monotonic clock: from the moment
   * the renewal was sent, for renewDeadlineMs (client-go's rule). Others wait leaseDurationMs from when
   * they saw that renewal, so the difference is the margin for a write already on its way.
   */
  onStartedLeading: (signal: AbortSignal, fence: WriteFence) => void;
  /** Called once after leading ends (never if we never led). */
  onStoppedLeading: () => void;
  /** Cancels the election (and, when leading, leadership). */
  signal: AbortSignal;
  /** On cancel, clear the holder so the next replica need not wait a whole lease duration. */
  releaseOnCancel?: boolean;
  /** Awaited after leading ends and before the Lease is released: the work started while leading finishing. */
  beforeRelease?: () => Promise<void>;
  /**
   * Wall time for the Lease's acquire and renew times, monotonic time for its validity, timers, jitter.
   * Default: the system clock.
   */
  clock?: Clock;
}

/**
 * Resolves when this replica stops leading (lease lost or signal aborted) or, if it never led,
 * when the signal aborts. A controller should exit after a lost lease: its in-memory state may
 * already be stale, and a restart rebuilds it from the cluster and EC2.
 */
export async function runLeaderElection(o: LeaderElectionOptions): Promise<void> {
  if (!(o.renewDeadlineMs < o.leaseDurationMs)) {
    throw new RangeError(`renewDeadlineMs (${o.renewDeadlineMs}) must be less than leaseDurationMs (${o.leaseDurationMs}), or two leaders can overlap`);
  }
  if (!(o.retryPeriodMs > 0 && o.retryPeriodMs < o.renewDeadlineMs)) {
    throw new RangeError(`retryPeriodMs (${o.retryPeriodMs}) must be > 0 and less than renewDeadlineMs (${o.renewDeadlineMs})`);
  }
  const clock = o.clock ?? systemClock;
  const now = () => clock.now();
  const timing = { renewDeadlineMs: o.renewDeadlineMs, retryPeriodMs: o.retryPeriodMs, releaseOnCancel: o.releaseOnCancel ?? false };
  const fence = fenceOf(() => mayWrite(machine.state(), clock.monotonic(), o.renewDeadlineMs));
  const log = (o.log ?? silentLogger).child({ lease: `${o.namespace}/${o.name}`, identity: o.identity });
  let observed: Observation | undefined;
  let lastRead: V1Lease | undefined;

  /** One attempt; true when we hold the lease afterwards. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    // While we hold the Lease, the copy we last wrote is the server's unless someone wrote since,
    // so renew onto it without a GET (client-go's fast path). The write carries that copy's
    // resourceVersion: a change behind our back is a 409, and any failure falls back to reading.
    if (lastRead?.spec?.holderIdentity === o.identity) {
      try {
        if (await acquireOrRenew(lastRead)) return true;
      } catch (err) {
        log.debug('renewing the Lease we last wrote failed; reading it', { err });
      }
    }
    let current: V1Lease | undefined;
    try {
      current = await o.clients.coordination.readNamespacedLease({ namespace: o.namespace, name: o.name });
    } catch (err) {
      if (!isNotFound(err)) throw KubeApiError.from(err);
    }
    return acquireOrRenew(current);
  };

  /** Decides on `current` (undefined: no Lease) and writes; true when we hold the lease afterwards. */
  const acquireOrRenew = async (current: V1Lease | undefined): Promise<boolean> => {
    const t = now();
    const rec = current ? toRecord(current) : undefined;
    if (rec) observed = observe(observed, rec, t);
    lastRead = current;
    const d = decide({ current: rec, observed, identity: o.identity, nowMs: t, leaseDurationMs: o.leaseDurationMs });
    if (d.action === 'wait') {
      log.debug('lease held by another replica', { holder: d.holder, expiresInMs: d.expiresInMs });
      return false;
    }
    try {
      if (d.action === 'create') {
        lastRead = await o.clients.coordination.createNamespacedLease({
          namespace: o.namespace,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: o.name, namespace: o.namespace }, spec: toSpec(d.record) },
        });
      } else {
        lastRead = await o.clients.coordination.replaceNamespacedLease({
          namespace: o.namespace,
          name: o.name,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...current!.metadata, name: o.name, namespace: o.namespace }, spec: toSpec(d.record) },
        });
        if (d.acquiring) log.info('acquired lease', { previousHolder: rec?.holderIdentity, transitions: d.record.leaseTransitions });
      }
    } catch (err) {
      // Another candidate wrote first; we will see its record on the next read.
      if (isConflict(err) || isAlreadyExists(err)) return false;
      throw KubeApiError.from(err);
    }
    observed = observe(observed, d.record, t);
    return true;
  };

  const attempt = async (): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew();
    } catch (err) {
      log.warn('lease attempt failed', { err });
      return false;
    }
  };

  let leading: AbortController | undefined;
  const timers = new Set<TimerHandle>();
  const timer = (ms: number, event: ElectionEvent): TimerHandle => {
    const handle = clock.after(ms, () => {
      timers.delete(handle);
      dispatch(event);
    });
    timers.add(handle);
    return handle;
  };
  // One renewal deadline at a time: a renewal that finished leaves its deadline pending, and each later renewal
  // arms its own, so without this the stale ones pile up (and re-arm themselves during a later renewal).
  let deadline: TimerHandle | undefined;
  let finish: (err?: unknown) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => (finish = (err) => (err === undefined ? resolve() : reject(err))));

  const perform = (action: ElectionAction): void => {
    switch (action.type) {
      case 'attempt':
        void attempt().then((acquired) => dispatch({ type: 'attempt-done', acquired }));
        return;
      case 'wait':
        timer(action.ms, { type: 'wait-over' });
        return;
      case 'deadline-after':
        if (deadline) {
          deadline.cancel();
          timers.delete(deadline);
        }
        deadline = timer(action.ms, { type: 'deadline' });
        return;
      case 'start-leading':
        leading = new AbortController();
        try {
          o.onStartedLeading(leading.signal, fence);
        } catch (err) {
          log.error('onStartedLeading threw', { err });
        }
        return;
      case 'end-leading':
        leading?.abort();
        return;
      case 'drain':
        // The caller's reconcilers stop on the leadership signal and drain what they have in flight;
        // only then is the Lease given back. A drain that throws ends the election with its error.
        Promise.resolve()
          .then(() => o.beforeRelease?.())
          .then(() => dispatch({ type: 'drained' }), (err: unknown) => end(err));
        return;
      case 'release':
        void release(o, lastRead, now, log).then(() => dispatch({ type: 'released' }));
        return;
      case 'notify-stopped':
        try {
          o.onStoppedLeading();
        } catch (err) {
          log.error('onStoppedLeading threw', { err });
        }
        return;
      case 'finish':
        end();
        return;
      case 'log':
        log[action.level](action.msg, action.fields);
        return;
    }
  };

  const machine = driveMachine<ElectionState, ElectionEvent, ElectionAction>({
    initial: INITIAL_ELECTION_STATE,
    step: (state, event, inputs) => stepElection(state, event, inputs, timing),
    clock,
    perform,
  });
  const dispatch = machine.dispatch;
  const onCancel = () => dispatch({ type: 'cancel' });
  const end = (err?: unknown) => {
    o.signal.removeEventListener('abort', onCancel);
    for (const t of timers) t.cancel();
    timers.clear();
    finish(err);
  };

  if (o.signal.aborted) return;
  o.signal.addEventListener('abort', onCancel, { once: true });
  dispatch({ type: 'start' });
  await finished;
}

async function release(o: LeaderElectionOptions, lastRead: V1Lease | undefined, now: () => number, log: Logger): Promise<void> {
  if (!lastRead?.spec || lastRead.spec.holderIdentity !== o.identity) return;
  try {
    await o.clients.coordination.replaceNamespacedLease({
      namespace: o.namespace,
      name: o.name,
      body: { ...lastRead, spec: toSpec(released(toRecord(lastRead), now())) },
    });
    log.info('released lease');
  } catch (err) {
    log.warn('could not release lease; the next leader waits for it to expire', { err: KubeApiError.from(err) });
  }
}

function toRecord(l: V1Lease): LeaseRecord {
  const s = l.spec ?? {};
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTimeMs: timeMs(s.acquireTime),
    renewTimeMs: timeMs(s.renewTime),
    leaseTransitions: s.leaseTransitions ?? 0,
  };
}

function toSpec(r: LeaseRecord): NonNullable<V1Lease['spec']> {
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    ...(r.acquireTimeMs !== undefined ? { acquireTime: new V1MicroTime(r.acquireTimeMs) } : {}),
    ...(r.renewTimeMs !== undefined ? { renewTime: new V1MicroTime(r.renewTimeMs) } : {}),
    leaseTransitions: r.leaseTransitions,
  };
}

function timeMs(v: Date | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}
