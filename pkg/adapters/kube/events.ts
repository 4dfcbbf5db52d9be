/**
 * @module
 * Kubernetes Events, written the way client-go's recorder does it: fire-and-forget, repeated
 * events folded into one object whose `count` and `lastTimestamp` grow, and a per-object
 * token bucket so a pod stuck in a retry loop cannot flood etcd. core/v1 Events are used
 * because `kubectl describe` shows them; they need no MicroTime (docs/platform-notes.md, "MicroTime and events").
 *
 * Node events use the node name as `involvedObject.uid`, as the kubelet and upstream do:
 * `kubectl describe node` selects events by `involvedObject.uid=<node name>`.
 */
import type { CoreV1Api, CoreV1Event } from '@kubernetes/client-node';
import { KubeApiError, isNotFound } from './errors.ts';
import { silentLogger, type Logger } from '../../support/log.ts';
import { isNotLeading } from '../../support/fence.ts';
import { discardResponse } from './http-library.ts';
import { MERGE } from './patches.ts';
import type { EventNote, ObjectRef } from '../../core/events.ts';
import { systemClock, type Clock } from '../../support/clock.ts';

export type { EventNote, ObjectRef };


export interface EventRecorder {
  /** Never throws and never waits: the write happens in the background. */
  emit(regarding: ObjectRef, e: EventNote): void;
  /** Resolves when every emitted event has been written (or given up on). */
  flush(): Promise<void>;
}

/** What the recorder needs from the clients; KubeClients satisfies it. */
export interface EventClients {
  core: Pick<CoreV1Api, 'createNamespacedEvent' | 'patchNamespacedEvent'>;
}

export interface EventRecorderOptions {
  clients: EventClients;
  /** `source.component`, e.g. winprefix-controller. */
  component: string;
  /** `reportingInstance` / `source.host`: the pod or host name of this replica. */
  instance: string;
  /** Event timestamps (wall time); default: the system clock. */
  clock?: Pick<Clock, 'now'>;
  log?: Logger;
  /** Same object + type + reason + message within this window updates the existing event. Default 10 min. */
  dedupeWindowMs?: number;
  /** Per-object rate limit: burst, then one event per refillMs (client-go: 25, 5 min). */
  perObject?: { burst: number; refillMs: number };
  /**
   * Upper bound on remembered series and on per-object rate limits (each kept in least recently used
   * order, as client-go's 4096-entry caches), so neither a churning cluster nor 20,000 pods at rest grow
   * memory without end. Default 4096.
   */
  maxSeries?: number;
  /** Normal events waiting to be written beyond this are dropped, Warnings beyond twice this (an API outage must not grow memory). */
  maxPending?: number;
}

/** Dropped events are counted and logged at most this often, not one line each. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** Cluster-scoped objects' events live in "default", as client-go records them. */
const CLUSTER_SCOPED_EVENT_NAMESPACE = 'default';

interface Series {
  namespace: string;
  name: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

export function createEventRecorder(o: EventRecorderOptions): EventRecorder {
  const clock = o.clock ?? systemClock;
  const log = o.log ?? silentLogger;
  const windowMs = o.dedupeWindowMs ?? 10 * 60_000;
  const limit = o.perObject ?? { burst: 25, refillMs: 5 * 60_000 };
  const maxSeries = o.maxSeries ?? 4096;
  const series = new Map<string, Series>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  const maxPending = o.maxPending ?? 1000;
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  let seq = 0;
  let dropped = 0;
  let droppedLoggedAt = Number.NEGATIVE_INFINITY;

  /**
   * Puts `key` last in `map` (a Map iterates in insertion order, so the first key is the least recently
   * used one) and drops the least recently used entries beyond maxSeries: O(1) per event. A forgotten
   * bucket only means an object that has been quiet longest starts again with a full burst.
   */
  const touch = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key);
    map.set(key, value);
    while (map.size > maxSeries) map.delete(map.keys().next().value!);
  };

  const allow = (objKey: string, t: number): boolean => {
    const b = buckets.get(objKey) ?? { tokens: limit.burst, at: t };
    b.tokens = Math.min(limit.burst, b.tokens + (t - b.at) / limit.refillMs);
    b.at = t;
    touch(buckets, objKey, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };

  const write = async (regarding: ObjectRef, e: EventNote, at: Date): Promise<void> => {
    const t = at.getTime();
    const namespace = regarding.namespace || CLUSTER_SCOPED_EVENT_NAMESPACE;
    const uid = regarding.kind === 'Node' ? regarding.name : regarding.uid;
    const objKey = `${regarding.kind}/${namespace}/${regarding.name}/${uid ?? ''}`;
    const seriesKey = `${objKey}\u0000${e.type}\u0000${e.reason}\u0000${e.message}`;
    const prior = series.get(seriesKey);
    if (prior && t - prior.lastSeen <= windowMs) {
      prior.count++;
      prior.lastSeen = t;
      touch(series, seriesKey, prior);
      // A repeat costs no token, but it keeps the object's spent rate limit among the recently used.
      const bucket = buckets.get(objKey);
      if (bucket) touch(buckets, objKey, bucket);
      try {
        await o.clients.core.patchNamespacedEvent(
          { namespace: prior.namespace, name: prior.name, body: { count: prior.count, lastTimestamp: at } },
          MERGE(),
        );
        return;
      } catch (err) {
        // Events expire (1 h TTL by default); start a new one.
        if (!isNotFound(err)) throw err;
        series.delete(seriesKey);
      }
    }
    if (!allow(objKey, t)) {
      log.debug('event dropped by the per-object rate limit', { object: objKey, reason: e.reason });
      return;
    }
    // Object names may be 253 characters long already; the suffix must still fit.
    const suffix = (t * 1000 + (seq++ % 1000)).toString(16);
    const name = `${regarding.name.slice(0, 253 - suffix.length - 1)}.${suffix}`;
    const body: CoreV1Event = {
      metadata: { name, namespace },
      involvedObject: {
        kind: regarding.kind,
        name: regarding.name,
        apiVersion: regarding.apiVersion ?? 'v1',
        ...(regarding.kind !== 'Node' && regarding.namespace ? { namespace: regarding.namespace } : {}),
        ...(uid ? { uid } : {}),
      },
      type: e.type,
      reason: e.reason,
      message: truncate(e.message, 1024),
      source: { component: o.component, host: o.instance },
      reportingComponent: o.component,
      reportingInstance: o.instance,
      ...(e.action ? { action: e.action } : {}),
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    await o.clients.core.createNamespacedEvent({ namespace, body }, discardResponse());
    touch(series, seriesKey, { namespace, name, count: 1, firstSeen: t, lastSeen: t });
  };

  const reportDropped = () => {
    if (dropped === 0) return;
    log.warn('events dropped: too many waiting to be written (the API server is slower than events come)', { dropped, pending });
    droppedLoggedAt = clock.now();
    dropped = 0;
  };

  return {
    emit(regarding, e) {
      try {
        const at = new Date(clock.now());
        // Past the bound, informational events go first: a Warning says why a pod has no address, and
        // the bound for those is twice as high.
        if (pending >= (e.type === 'Warning' ? 2 * maxPending : maxPending)) {
          dropped++;
          const t = clock.now();
          if (t - droppedLoggedAt >= DROP_LOG_INTERVAL_MS) {
            log.warn('events dropped: too many waiting to be written (the API server is slower than events come)', { dropped, pending, lastReason: e.reason, lastObject: regarding.name });
            droppedLoggedAt = t;
            dropped = 0;
          }
          return;
        }
        // Drops since the last count are told once the queue takes events again, so none goes unreported.
        reportDropped();
        pending++;
        tail = tail.then(() =>
          write(regarding, e, at)
            .catch((err) => {
              const object = `${regarding.kind}/${regarding.namespace ?? ''}/${regarding.name}`;
              // A replica stepping down drops what it had not written yet: expected, and the new leader speaks for the node.
              if (isNotLeading(err)) log.debug('event not written: this replica no longer leads', { object, reason: e.reason });
              else log.warn('could not record event', { err: KubeApiError.from(err), object, reason: e.reason });
            })
            .finally(() => pending--),
        );
      } catch (err) {
        // A broken clock or logger must not break the reconciler that wanted to report something.
        log.error('event recorder failed', { err });
      }
    },
    flush: () => tail.then(reportDropped),
  };
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}
