/**
 * Reflector failure modes that a real API server produces only rarely, against a scripted fake
 * Watch (the one faked boundary; the real-server behaviour is in test/kube/reflector*.test.ts).
 * Time is a ManualClock: backoffs pass when the test advances it, never by sleeping; the fakes
 * answer through promises, which `until` lets run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeConfig, V1ConfigMap, Watch } from '@kubernetes/client-node';
import { explainWatchDenial, startReflector } from './reflector.ts';
import { KubeApiError } from './errors.ts';
import { ManualClock } from '../../support/clock.ts';

type Cb = (type: string, obj: unknown) => void;
type Done = (err: unknown) => void;
/** Each watch call takes the next script step; the step drives callbacks. */
type Step = (cb: Cb, done: Done, query: Record<string, unknown>) => void | 'reject';

function fakeWatch(steps: Step[]) {
  const queries: Array<Record<string, unknown>> = [];
  const w: Pick<Watch, 'watch'> = {
    async watch(_path, query, cb, done) {
      queries.push(query);
      const step = steps.shift() ?? (() => {});
      const ac = new AbortController();
      ac.signal.addEventListener('abort', () => done(new DOMException('aborted', 'AbortError')));
      if (step(cb as Cb, done, query) === 'reject') throw new Error('exec credential plugin failed');
      return ac;
    },
  };
  return { w, queries };
}

const cm = (name: string, rv: string): V1ConfigMap => ({ metadata: { name, resourceVersion: rv } });
/** Lets pending promise callbacks run (one turn of the event loop), without letting time pass. */
const turn = () => new Promise<void>((ok) => setImmediate(ok));
/** Waits for `cond`, bounded by turns of the event loop: the ManualClock does not move meanwhile. */
async function until(cond: () => boolean, turns = 1_000) {
  for (let i = 0; !cond(); i++) {
    if (i >= turns) throw new Error('condition not met');
    await turn();
  }
}

function reflector(steps: Step[], lists: Array<() => { items: V1ConfigMap[]; metadata: { resourceVersion: string } }>, clock = new ManualClock()) {
  const { w, queries } = fakeWatch(steps);
  const seen = { upserts: [] as string[], deletes: [] as string[], lists: 0 };
  const r = startReflector<V1ConfigMap, string>({
    kc: {} as KubeConfig,
    path: '/api/v1/configmaps',
    list: async () => {
      const next = lists[Math.min(seen.lists, lists.length - 1)]!;
      seen.lists++;
      return next();
    },
    transform: (c) => c.metadata!.name!,
    key: (n) => n,
    onUpsert: (n) => {
      seen.upserts.push(n);
      if (n === 'explodes') throw new Error('handler bug');
    },
    onDelete: (n) => seen.deletes.push(n),
    watchFactory: () => w,
    backoff: { initialMs: 10, maxMs: 40 },
    minHealthyWatchMs: 50,
    clock,
  });
  return { r, seen, queries, clock };
}

test('watch query: bookmarks on, resourceVersion from the list, then from the last event', async () => {
  const { r, queries } = reflector(
    [(cb, done) => { cb('ADDED', cm('a', '11')); cb('BOOKMARK', { metadata: { resourceVersion: '15' } }); done(null); }, () => {}],
    [() => ({ items: [], metadata: { resourceVersion: '10' } })],
  );
  await until(() => queries.length === 2);
  assert.equal(queries[0]!.allowWatchBookmarks, true);
  assert.equal(queries[0]!.resourceVersion, '10');
  assert.equal(queries[1]!.resourceVersion, '15');
  await r.stop();
});

test('an ERROR event other than 410 backs off and relists; a throwing handler does not stop the cache', async () => {
  const { r, seen, clock } = reflector(
    [(cb) => { cb('ADDED', cm('explodes', '2')); cb('ADDED', cm('b', '3')); cb('ERROR', { code: 500, reason: 'InternalError', message: 'etcd' }); }, () => {}],
    [() => ({ items: [cm('a', '1')], metadata: { resourceVersion: '1' } }), () => ({ items: [cm('b', '3')], metadata: { resourceVersion: '9' } })],
  );
  await until(() => clock.pendingTimers() === 1);
  assert.equal(seen.lists, 1, 'no relist before the backoff');
  // The watch had delivered, so it counts as healthy: the first backoff (10 ms, jitter 0.5: 7.5 ms).
  clock.advance(7);
  await turn();
  assert.equal(seen.lists, 1);
  clock.advance(1);
  await until(() => seen.lists === 2);
  await until(() => r.list().length === 1);
  assert.deepEqual(r.list(), ['b']);
  assert.deepEqual(seen.deletes.sort(), ['a', 'explodes']);
  assert.deepEqual(seen.upserts, ['a', 'explodes', 'b']);
  await r.stop();
});

test('the version the cache already holds, from an event or a relist, keeps the cached object and calls nothing', async () => {
  const { w } = fakeWatch([(cb) => { cb('MODIFIED', cm('a', '1')); cb('ERROR', { code: 500, reason: 'InternalError', message: 'etcd' }); }, () => {}]);
  const clock = new ManualClock();
  const upserts: string[] = [];
  let lists = 0;
  const pages = [[cm('a', '1')], [cm('a', '1'), cm('b', '2')]];
  const r = startReflector<V1ConfigMap, { name: string }>({
    kc: {} as KubeConfig,
    path: '/api/v1/configmaps',
    list: async () => ({ items: pages[Math.min(lists++, 1)]!, metadata: { resourceVersion: String(lists) } }),
    transform: (c) => ({ name: c.metadata!.name! }),
    key: (v) => v.name,
    onUpsert: (v) => upserts.push(v.name),
    watchFactory: () => w,
    backoff: { initialMs: 10, maxMs: 40 },
    minHealthyWatchMs: 50,
    clock,
  });
  await until(() => r.synced());
  const first = r.get('a');
  await until(() => clock.pendingTimers() === 1);
  clock.advance(20);
  await until(() => r.list().length === 2);
  assert.equal(r.get('a'), first, 'the same object: callers that hold it (the pod index) and the cache still agree');
  assert.deepEqual(upserts, ['a', 'b']);
  await r.stop();
});

test('a watch that throws before connecting (credentials) is retried with a relist, not abandoned', async () => {
  const { r, seen, queries, clock } = reflector([() => 'reject', () => 'reject', () => {}], [() => ({ items: [], metadata: { resourceVersion: '1' } })]);
  for (const backoff of [7.5, 15]) {
    await until(() => clock.pendingTimers() === 1);
    clock.advance(backoff);
  }
  await until(() => queries.length === 3);
  assert.equal(seen.lists, 3);
  await r.stop();
});

test('a server that closes every watch at once is not hammered: rewatches back off', async () => {
  const { r, queries, clock } = reflector(
    Array.from({ length: 50 }, () => ((_cb: Cb, done: Done) => void queueMicrotask(() => done(null))) as Step),
    [() => ({ items: [], metadata: { resourceVersion: '1' } })],
  );
  for (let ms = 0; ms < 400; ms++) {
    await until(() => clock.pendingTimers() === 1);
    clock.advance(1);
  }
  await r.stop();
  // Backoff 10, 20, 40, 40 ... ms with jitter (at least half of each): at most ~20 in 400 ms, not hundreds.
  assert.ok(queries.length <= 22, `${queries.length} watches in 400 ms`);
  assert.ok(queries.length >= 2, 'it did keep rewatching');
  // With the jitter at its middle: waits of 7.5, 15, then 30 ms each: 1 + 2 + 12 watches.
  assert.equal(queries.length, 15);
});

test('410 in the done callback relists at once; stop() during a hanging connect returns at once', async () => {
  let hang: (() => void) | undefined;
  const { r, seen, clock } = reflector(
    [(_cb, done) => void queueMicrotask(() => done(Object.assign(new Error('Gone'), { statusCode: 410 }))), () => void (hang = () => {})],
    [() => ({ items: [], metadata: { resourceVersion: '1' } })],
  );
  await until(() => seen.lists === 2 && hang !== undefined);
  assert.equal(clock.now(), 0, 'relisted without waiting');
  const started = performance.now();
  await r.stop();
  assert.ok(performance.now() - started < 100);
});

test('paged lists: each page is requested with limit and the previous continue token; an expired token falls back to one full list', async () => {
  const { w } = fakeWatch([() => {}, () => {}]);
  const calls: Array<{ limit?: number; continue?: string } | undefined> = [];
  let expireOnce = true;
  const all = [cm('a', '1'), cm('b', '2'), cm('c', '3'), cm('d', '4'), cm('e', '5')];
  const r = startReflector<V1ConfigMap, string>({
    kc: {} as KubeConfig,
    path: '/api/v1/configmaps',
    pageSize: 2,
    list: async (page) => {
      calls.push(page);
      if (!page) return { items: all, metadata: { resourceVersion: '20' } };
      const start = page.continue ? Number(page.continue) : 0;
      if (start === 4 && expireOnce) {
        expireOnce = false;
        throw Object.assign(new Error('Gone'), { statusCode: 410 });
      }
      const next = start + page.limit < all.length ? String(start + page.limit) : undefined;
      return { items: all.slice(start, start + page.limit), metadata: { resourceVersion: '20', ...(next ? { _continue: next } : {}) } };
    },
    transform: (c) => c.metadata!.name!,
    key: (n) => n,
    watchFactory: () => w,
    clock: new ManualClock(),
  });
  await until(() => r.synced());
  assert.deepEqual(calls, [{ limit: 2 }, { limit: 2, continue: '2' }, { limit: 2, continue: '4' }, undefined]);
  assert.deepEqual(r.list().sort(), ['a', 'b', 'c', 'd', 'e']);
  assert.equal(r.resourceVersion(), '20');
  await r.stop();
});

test('an object whose transform throws is skipped and logged; the rest of the list and the watch go on', async () => {
  const { w } = fakeWatch([(cb) => { cb('ADDED', { metadata: { resourceVersion: '3' } }); cb('ADDED', cm('c', '4')); }]);
  const errors: string[] = [];
  const log = { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m), child() { return log; } };
  const r = startReflector<V1ConfigMap, string>({
    kc: {} as KubeConfig,
    path: '/api/v1/configmaps',
    list: async () => ({ items: [cm('a', '1'), { metadata: {} }, cm('b', '2')], metadata: { resourceVersion: '2' } }),
    transform: (c) => {
      if (!c.metadata?.name) throw new TypeError('no name');
      return c.metadata.name;
    },
    key: (n) => n,
    watchFactory: () => w,
    log,
    clock: new ManualClock(),
  });
  await until(() => r.get('c') !== undefined);
  assert.deepEqual(r.list().sort(), ['a', 'b', 'c']);
  assert.deepEqual(errors, ['transform failed; object skipped', 'transform failed; object skipped']);
  await r.stop();
});

test('a 403 on the watch names the missing watch permission, from the path', () => {
  const denied = KubeApiError.from(Object.assign(new Error('Forbidden'), { statusCode: 403 }));
  const pods = explainWatchDenial(denied, '/api/v1/pods');
  assert.ok(pods instanceof KubeApiError);
  assert.deepEqual(pods.permission, { verb: 'watch', resource: 'pods', group: '' });
  assert.match(pods.message, /grant the verb "watch" on resource "pods"/);
  const cms = explainWatchDenial(denied, '/api/v1/namespaces/kube-system/configmaps') as KubeApiError;
  assert.deepEqual(cms.permission, { verb: 'watch', resource: 'configmaps', group: '', namespace: 'kube-system' });
  const leases = explainWatchDenial(denied, '/apis/coordination.k8s.io/v1/namespaces/ns/leases') as KubeApiError;
  assert.deepEqual(leases.permission, { verb: 'watch', resource: 'leases', group: 'coordination.k8s.io', namespace: 'ns' });
  const other = new Error('x');
  assert.equal(explainWatchDenial(other, '/api/v1/pods'), other);
});
