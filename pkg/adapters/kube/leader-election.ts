/**
 * @module
 * Leader election on a coordination.k8s.io/v1 Lease, client-go's algorithm (client-node has no
 * helper: docs/platform-notes.md, "Leader election"). The decision logic is pure
 * (lease-record.ts); this module does the API calls, the timing and the callbacks.
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
import { abortableSleep as sleep } from '../../support/abortable-sleep.ts';

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
  /** Called once we lead; `signal` aborts when leadership ends (lost, or cancelled). */
  onStartedLeading: (signal: AbortSignal) => void;
  /** Called once after leading ends (never if we never led). */
  onStoppedLeading: () => void;
  /** Cancels the election (and, when leading, leadership). */
  signal: AbortSignal;
  /** On cancel, clear the holder so the next replica need not wait a whole lease duration. */
  releaseOnCancel?: boolean;
  /** For tests. */
  now?: () => number;
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
  const now = o.now ?? Date.now;
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

  // Acquire.
  let acquired = false;
  while (!o.signal.aborted) {
    if ((acquired = await attempt())) break;
    await sleep(jitter(o.retryPeriodMs), o.signal);
  }
  if (o.signal.aborted) {
    // Cancelled while the attempt that took the Lease was in flight: we will never lead, so give
    // it back, or the next replica waits a whole lease duration for a leader that does nothing.
    if (acquired && o.releaseOnCancel) await release(o, lastRead, now, log);
    return;
  }

  const leading = new AbortController();
  log.info('started leading');
  try {
    o.onStartedLeading(leading.signal);
  } catch (err) {
    log.error('onStartedLeading threw', { err });
  }

  // Renew until we miss the deadline or are cancelled.
  let lastRenew = now();
  while (!o.signal.aborted) {
    await sleep(o.retryPeriodMs, o.signal);
    if (o.signal.aborted) break;
    const ok = await withDeadline(attempt(), Math.max(0, lastRenew + o.renewDeadlineMs - now()));
    if (ok) {
      lastRenew = now();
      continue;
    }
    if (now() - lastRenew >= o.renewDeadlineMs) {
      log.warn('lost leadership: could not renew within the renew deadline', { renewDeadlineMs: o.renewDeadlineMs });
      break;
    }
  }

  if (o.signal.aborted && o.releaseOnCancel) await release(o, lastRead, now, log);
  leading.abort();
  log.info('stopped leading');
  try {
    o.onStoppedLeading();
  } catch (err) {
    log.error('onStoppedLeading threw', { err });
  }
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

function jitter(ms: number): number {
  return ms + Math.random() * ms * 0.2;
}

function withDeadline(p: Promise<boolean>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}
