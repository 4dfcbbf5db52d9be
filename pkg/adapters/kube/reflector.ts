/**
 * @module
 * A list+watch cache that recovers from every failure, unlike client-node's informer, which
 * stops for good after one watch error other than 410 or a timeout (docs/platform-notes.md, "Watches").
 *
 * When to list, watch, back off or relist is decided by the pure state machine in
 * reflector-machine.ts; this module is its shell: it lists (caller's function, with the same
 * selectors), replaces the cache (firing onDelete for objects that vanished while we were not
 * watching), watches from the last resourceVersion with bookmarks, reads how each watch ended, and
 * waits on the injected Clock. `stop()` may race any of these: once stopped, nothing an operation
 * in flight reports reaches the machine, because aborting a watch makes client-node report an
 * AbortError that must not restart anything.
 *
 * Objects are stripped by `transform` on receipt. `transform` sees typed models from `list`
 * (dates as Date) and wire JSON from the watch (dates as strings): make it accept both.
 */
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { isGone, KubeApiError, fromStatusAndBody } from './errors.ts';
import { silentLogger, type Logger } from '../../support/log.ts';
import { systemClock, type Clock, type TimerHandle } from '../../support/clock.ts';
import { driveMachine } from '../../support/state-machine.ts';
import { DEFAULT_REFLECTOR_TIMING, INITIAL_REFLECTOR_STATE, isSynced, stepReflector, type ReflectorAction, type ReflectorEvent, type ReflectorState, type WatchEnd } from './reflector-machine.ts';

export interface Reflector<S> {
  get(key: string): S | undefined;
  list(): S[];
  /** True once the first list has been applied (it stays true across relists). */
  synced(): boolean;
  /** The resourceVersion the cache reflects (from the last list, event or bookmark). */
  resourceVersion(): string;
  stop(): Promise<void>;
}

export interface ReflectorOptions<T extends KubernetesObject, S> {
  kc: KubeConfig;
  /** Watch path, e.g. '/api/v1/pods' or '/api/v1/namespaces/kube-system/configmaps'. */
  path: string;
  /**
   * Lists the same objects the watch covers (same selectors!); called on start and every relist.
   * With `pageSize`, it is called once per page and must pass `page.limit` and `page.continue`
   * on (client-node: `limit` and `_continue`), so a 50k-pod cluster is never held as typed
   * objects all at once: each page is stripped before the next is fetched.
   */
  list: (page?: ListPage) => Promise<{ items: T[]; metadata?: { resourceVersion?: string; _continue?: string } }>;
  /** Objects per list page; unset lists everything in one call. */
  pageSize?: number;
  fieldSelector?: string;
  labelSelector?: string;
  transform: (obj: T) => S;
  key: (obj: S) => string;
  onUpsert?: (obj: S, old: S | undefined) => void;
  /** Also fired for objects found missing on a relist (deleted during a watch gap). */
  onDelete?: (obj: S) => void;
  /** After the first successful list. */
  onSynced?: () => void;
  log?: Logger;
  backoff?: { initialMs: number; maxMs: number };
  /** For tests: how client-node's Watch is made (e.g. a shorter inactivity timeout). */
  watchFactory?: (kc: KubeConfig) => Pick<Watch, 'watch'>;
  /** A watch that ends sooner than this without delivering anything counts as a failure (avoids hot loops). */
  minHealthyWatchMs?: number;
  /** Backoff waits, watch durations and jitter; default: the system clock. */
  clock?: Clock;
}

export interface ListPage {
  limit: number;
  /** The continue token of the previous page; absent for the first page. */
  continue?: string;
}

/** How a watch ended, or that stop() ended it (which the machine never hears of). */
type WatchOutcome = WatchEnd | { kind: 'stopped' };

interface Entry<S> {
  obj: S;
  rv: string | undefined;
}

export function startReflector<T extends KubernetesObject, S>(o: ReflectorOptions<T, S>): Reflector<S> {
  const log = (o.log ?? silentLogger).child({ reflector: o.path });
  const timing = {
    backoff: o.backoff ?? DEFAULT_REFLECTOR_TIMING.backoff,
    minHealthyWatchMs: o.minHealthyWatchMs ?? DEFAULT_REFLECTOR_TIMING.minHealthyWatchMs,
  };
  const clock = o.clock ?? systemClock;
  const watcher = o.watchFactory ? o.watchFactory(o.kc) : new Watch(o.kc);
  const cache = new Map<string, Entry<S>>();
  let rv = '';
  let stopped = false;
  let currentAbort: AbortController | undefined;
  /** Ends the watch in progress at once, even while its request is still connecting. */
  let endCurrent: (() => void) | undefined;
  let waitTimer: TimerHandle | undefined;
  /** What the last list returned, until the machine says to put it in the cache. */
  let listed: Array<{ k: string; entry: Entry<S> }> | undefined;
  /** The list or watch in flight, which stop() waits for. */
  let inFlight: Promise<void> = Promise.resolve();

  const call = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      // A handler bug must not take the cache down with it.
      log.error(`${what} handler threw`, { err });
    }
  };

  /**
   * transform/key on one object; a throw skips that object with an error log. (Inside a watch
   * callback client-node would swallow the throw silently; in a list it would fail every relist.)
   */
  const strip = (raw: T): { s: S; k: string } | undefined => {
    try {
      const s = o.transform(raw);
      return { s, k: o.key(s) };
    } catch (err) {
      log.error('transform failed; object skipped', { err, name: raw?.metadata?.name, namespace: raw?.metadata?.namespace });
      return undefined;
    }
  };

  const upsert = (raw: T) => {
    const stripped = strip(raw);
    if (!stripped) return;
    const { s, k } = stripped;
    const old = cache.get(k);
    const newRv = raw.metadata?.resourceVersion;
    // The same version again (a relist, a repeated event) keeps the object the cache and its callers hold.
    if (old && old.rv !== undefined && old.rv === newRv) return;
    cache.set(k, { obj: s, rv: newRv });
    if (o.onUpsert) call('onUpsert', () => o.onUpsert!(s, old?.obj));
  };

  const remove = (raw: T) => {
    const stripped = strip(raw);
    if (!stripped) return;
    const { s, k } = stripped;
    const old = cache.get(k);
    cache.delete(k);
    // The delete event carries the final state; fall back to it when we never saw the object.
    if (o.onDelete) call('onDelete', () => o.onDelete!(old?.obj ?? s));
  };

  /** Strips one listed object at once, so typed list pages can be collected page by page. */
  const prepare = (raw: T): { k: string; entry: Entry<S> } | undefined => {
    const stripped = strip(raw);
    return stripped && { k: stripped.k, entry: { obj: stripped.s, rv: raw.metadata?.resourceVersion } };
  };
  const collect = (into: Array<{ k: string; entry: Entry<S> }>, items: T[]) => {
    for (const raw of items) {
      const p = prepare(raw);
      if (p) into.push(p);
    }
  };

  const replace = (listed: Array<{ k: string; entry: Entry<S> }>) => {
    const seen = new Set<string>();
    for (const { k, entry } of listed) {
      seen.add(k);
      const old = cache.get(k);
      if (old && old.rv !== undefined && old.rv === entry.rv) continue;
      cache.set(k, entry);
      if (o.onUpsert) call('onUpsert', () => o.onUpsert!(entry.obj, old?.obj));
    }
    for (const [k, e] of [...cache]) {
      if (seen.has(k)) continue;
      cache.delete(k);
      log.info('object disappeared during a watch gap', { key: k });
      if (o.onDelete) call('onDelete', () => o.onDelete!(e.obj));
    }
  };

  /** A full list, page by page when pageSize is set; returns the stripped objects and the list's resourceVersion. */
  const listAll = async (): Promise<{ listed: Array<{ k: string; entry: Entry<S> }>; rv: string } | undefined> => {
    const listed: Array<{ k: string; entry: Entry<S> }> = [];
    if (!o.pageSize) {
      const l = await o.list();
      collect(listed, l.items);
      return { listed, rv: l.metadata?.resourceVersion ?? '' };
    }
    let cont: string | undefined;
    let listRv = '';
    do {
      let l: Awaited<ReturnType<typeof o.list>>;
      try {
        l = await o.list({ limit: o.pageSize, ...(cont ? { continue: cont } : {}) });
      } catch (err) {
        // The continue token expired mid-list (5-15 min on the server): start over unpaged,
        // as client-go's pager does, rather than mix two snapshots.
        if (cont && isGone(err)) {
          log.info('list continue token expired; listing again in one call');
          listed.length = 0;
          const full = await o.list();
          collect(listed, full.items);
          return { listed, rv: full.metadata?.resourceVersion ?? '' };
        }
        throw err;
      }
      if (stopped) return undefined;
      collect(listed, l.items);
      listRv = l.metadata?.resourceVersion ?? listRv;
      cont = l.metadata?._continue || undefined;
    } while (cont);
    return { listed, rv: listRv };
  };

  const watchOnce = async (timeoutSeconds: number): Promise<WatchOutcome> => {
    let delivered = false;
    let gone = false;
    let eventError: unknown;
    const query: Record<string, string | number | boolean | undefined> = {
      allowWatchBookmarks: true,
      resourceVersion: rv,
      timeoutSeconds,
      fieldSelector: o.fieldSelector,
      labelSelector: o.labelSelector,
    };
    let ended: (end: WatchOutcome) => void = () => {};
    const done = new Promise<WatchOutcome>((r) => (ended = r));
    endCurrent = () => ended({ kind: 'stopped' });
    const onEvent = (type: string, obj: T) => {
      if (stopped || gone || eventError !== undefined) return;
      switch (type) {
        case 'ADDED':
        case 'MODIFIED':
          delivered = true;
          upsert(obj);
          break;
        case 'DELETED':
          delivered = true;
          remove(obj);
          break;
        case 'BOOKMARK':
          delivered = true;
          break;
        case 'ERROR': {
          const st = obj as unknown as { code?: number };
          const e = fromStatusAndBody(typeof st.code === 'number' ? st.code : 500, obj);
          if (isGone(e)) gone = true;
          else eventError = e;
          // End now rather than wait for the server to close: the event may even arrive
          // before watch() has handed us its AbortController.
          onDone(null);
          return;
        }
        default:
          log.warn('unknown watch event type', { type });
          return;
      }
      const v = obj?.metadata?.resourceVersion;
      if (v) rv = v;
    };
    const onDone = (err: unknown) => {
      if (stopped) return ended({ kind: 'stopped' });
      if (gone) return ended({ kind: 'gone' });
      if (eventError !== undefined) return ended({ kind: 'error', error: eventError, delivered });
      if (err === null || err === undefined) return ended({ kind: 'closed', delivered });
      // client-node's inactivity timeout on a quiet resource: not a failure, just rewatch.
      if ((err as { name?: string }).name === 'TimeoutError') return ended({ kind: 'closed', delivered });
      const k = KubeApiError.from(err);
      if (isGone(k)) return ended({ kind: 'gone' });
      return ended({ kind: 'error', error: explainWatchDenial(k, o.path), delivered });
    };
    // Not awaited: the request may hang while connecting, and stop() must not wait for it.
    let finished = false;
    watcher.watch(o.path, query, onEvent, onDone).then(
      (abort) => {
        // stop() ended this watch before the response arrived: drop the late connection.
        if (stopped || finished) abort.abort();
        else currentAbort = abort;
      },
      // applySecurityAuthentication (e.g. a failing exec credential plugin) throws before the request.
      (err) => onDone(err),
    );
    const end = await done;
    finished = true;
    currentAbort?.abort();
    currentAbort = undefined;
    endCurrent = undefined;
    return end;
  };

  const perform = (action: ReflectorAction): void => {
    switch (action.type) {
      case 'list':
        track(
          listAll().then(
            (result) => {
              if (stopped || !result) return;
              listed = result.listed;
              rv = result.rv;
              dispatch({ type: 'listed' });
            },
            (err: unknown) => {
              if (!stopped) dispatch({ type: 'list-failed', error: KubeApiError.from(err) });
            },
          ),
        );
        return;
      case 'replace-cache':
        replace(listed ?? []);
        listed = undefined;
        return;
      case 'announce-synced':
        if (o.onSynced) call('onSynced', o.onSynced);
        return;
      case 'watch':
        track(
          watchOnce(action.timeoutSeconds).then((end) => {
            if (end.kind !== 'stopped' && !stopped) dispatch({ type: 'watch-ended', end });
          }),
        );
        return;
      case 'wait':
        waitTimer = clock.after(action.ms, () => {
          waitTimer = undefined;
          if (!stopped) dispatch({ type: 'wait-over' });
        });
        return;
      case 'log':
        log[action.level](action.msg, { ...action.fields, rv });
        return;
    }
  };

  const machine = driveMachine<ReflectorState, ReflectorEvent, ReflectorAction>({
    initial: INITIAL_REFLECTOR_STATE,
    step: (state, event, inputs) => stepReflector(state, event, inputs, timing),
    clock,
    perform,
  });
  const dispatch = machine.dispatch;

  const track = (operation: Promise<void>): void => {
    inFlight = operation.catch((err: unknown) => log.error('reflector step crashed; this is a bug', { err }));
  };

  /** Resolves once no list or watch is in flight (each one may have started the next). */
  const settled = async (): Promise<void> => {
    for (;;) {
      const current = inFlight;
      await current;
      if (current === inFlight) return;
    }
  };

  dispatch({ type: 'start' });

  return {
    get: (key) => cache.get(key)?.obj,
    list: () => [...cache.values()].map((e) => e.obj),
    synced: () => isSynced(machine.state()),
    resourceVersion: () => rv,
    async stop() {
      if (!stopped) {
        stopped = true;
        dispatch({ type: 'stop' });
        waitTimer?.cancel();
        currentAbort?.abort();
        endCurrent?.();
      }
      await settled();
    },
  };
}

/**
 * client-node's Watch reports a non-200 answer with the status code only (the body, which names
 * the user and permission, is not read), so a 403 is completed from the watch path.
 */
export function explainWatchDenial(err: unknown, path: string): unknown {
  if (!(err instanceof KubeApiError) || err.status !== 403 || err.permission) return err;
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/?]+)/.exec(path);
  if (!m) return err;
  return new KubeApiError({
    status: 403,
    reason: 'Forbidden',
    serverMessage: err.serverMessage,
    permission: { verb: 'watch', resource: m[3]!, group: m[1] ?? '', ...(m[2] ? { namespace: m[2] } : {}) },
    cause: err,
  });
}
