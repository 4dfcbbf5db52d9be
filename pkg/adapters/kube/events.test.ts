/**
 * The recorder against a fake core/v1 Events API (the one faked boundary): a stateful store
 * that behaves like the API server for create, merge-patch and 404.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, type CoreV1Event } from '@kubernetes/client-node';
import { createEventRecorder, type EventClients } from './events.ts';

function fakeEvents() {
  const store = new Map<string, CoreV1Event>();
  const calls: string[] = [];
  let failNext = 0;
  const core = {
    async createNamespacedEvent({ namespace, body }: { namespace: string; body: CoreV1Event }) {
      calls.push('create');
      if (failNext > 0) {
        failNext--;
        throw new ApiException(500, 'boom', '{"reason":"InternalError","message":"etcd down"}', {});
      }
      const key = `${namespace}/${body.metadata!.name}`;
      if (store.has(key)) throw new ApiException(409, 'exists', '{"reason":"AlreadyExists"}', {});
      store.set(key, structuredClone(body));
      return body;
    },
    async patchNamespacedEvent({ namespace, name, body }: { namespace: string; name: string; body: Partial<CoreV1Event> }) {
      calls.push('patch');
      const cur = store.get(`${namespace}/${name}`);
      if (!cur) throw new ApiException(404, 'not found', '{"reason":"NotFound","message":"events not found"}', {});
      Object.assign(cur, body);
      return cur;
    },
  };
  return { clients: { core } as unknown as EventClients, store, calls, failNextCreate: (n: number) => (failNext = n) };
}

const pod = { kind: 'Pod' as const, name: 'web-1', namespace: 'team-a', uid: 'uid-1' };

test('first event creates a core/v1 Event naming the pod; repeats within the window bump count', async () => {
  const f = fakeEvents();
  let t = Date.parse('2026-11-22T01:00:00Z');
  const rec = createEventRecorder({ clients: f.clients, component: 'winprefix-controller', instance: 'pod-x', clock: { now: () => t } });
  rec.emit(pod, { type: 'Warning', reason: 'ResourceAllocationFailed', message: 'no free address; wait' });
  t += 60_000;
  rec.emit(pod, { type: 'Warning', reason: 'ResourceAllocationFailed', message: 'no free address; wait' });
  t += 60_000;
  rec.emit(pod, { type: 'Warning', reason: 'ResourceAllocationFailed', message: 'no free address; wait' });
  await rec.flush();
  assert.deepEqual(f.calls, ['create', 'patch', 'patch']);
  assert.equal(f.store.size, 1);
  const [ev] = [...f.store.values()];
  assert.equal(ev!.count, 3);
  assert.equal(ev!.metadata!.namespace, 'team-a');
  assert.deepEqual(ev!.involvedObject, { kind: 'Pod', name: 'web-1', namespace: 'team-a', uid: 'uid-1', apiVersion: 'v1' });
  assert.equal(ev!.source?.component, 'winprefix-controller');
  assert.equal(ev!.reportingInstance, 'pod-x');
  assert.equal(new Date(ev!.lastTimestamp!).getTime() - new Date(ev!.firstTimestamp!).getTime(), 120_000);
});

test('a different message, or the same one after the window, is a new event', async () => {
  const f = fakeEvents();
  let t = 1_000_000;
  const rec = createEventRecorder({ clients: f.clients, component: 'c', instance: 'i', clock: { now: () => t }, dedupeWindowMs: 10_000 });
  rec.emit(pod, { type: 'Normal', reason: 'ResourceAllocated', message: 'a' });
  rec.emit(pod, { type: 'Normal', reason: 'ResourceAllocated', message: 'b' });
  t += 20_000;
  rec.emit(pod, { type: 'Normal', reason: 'ResourceAllocated', message: 'a' });
  await rec.flush();
  assert.deepEqual(f.calls, ['create', 'create', 'create']);
  assert.equal(f.store.size, 3);
});

test('node events go to "default" with the node name as uid, so kubectl describe node finds them', async () => {
  const f = fakeEvents();
  const rec = createEventRecorder({ clients: f.clients, component: 'c', instance: 'i' });
  rec.emit({ kind: 'Node', name: 'ip-10-0-0-1' }, { type: 'Warning', reason: 'InsufficientCidrBlocks', message: 'subnet full' });
  await rec.flush();
  const [ev] = [...f.store.values()];
  assert.equal(ev!.metadata!.namespace, 'default');
  assert.deepEqual(ev!.involvedObject, { kind: 'Node', name: 'ip-10-0-0-1', uid: 'ip-10-0-0-1', apiVersion: 'v1' });
});

test('per-object rate limit: a burst, then one per refill period; other objects unaffected', async () => {
  const f = fakeEvents();
  let t = 0;
  const rec = createEventRecorder({ clients: f.clients, component: 'c', instance: 'i', clock: { now: () => t }, perObject: { burst: 3, refillMs: 1000 } });
  for (let i = 0; i < 10; i++) rec.emit(pod, { type: 'Normal', reason: 'R', message: `m${i}` });
  rec.emit({ ...pod, name: 'web-2', uid: 'uid-2' }, { type: 'Normal', reason: 'R', message: 'other' });
  await rec.flush();
  assert.equal(f.store.size, 4);
  t += 1000;
  rec.emit(pod, { type: 'Normal', reason: 'R', message: 'after refill' });
  await rec.flush();
  assert.equal(f.store.size, 5);
});

test('series and rate limits are kept for the most recently active objects only (maxSeries), least recently used first out', async () => {
  const f = fakeEvents();
  let t = 0;
  const rec = createEventRecorder({ clients: f.clients, component: 'c', instance: 'i', clock: { now: () => t }, maxSeries: 3, perObject: { burst: 2, refillMs: 60_000 } });
  const other = (i: number) => ({ ...pod, name: `other-${i}`, uid: `uid-o${i}` });
  const note = { type: 'Warning' as const, reason: 'R', message: 'stuck' };
  // web-1 repeats its event between every two other objects': it stays recently used, so it keeps both its
  // series (each repeat is a patch) and its spent rate limit, while ten other objects come and go.
  rec.emit(pod, note);
  for (let i = 0; i < 10; i++) {
    t += 1;
    rec.emit(other(i), note);
    if (i % 2 === 1) rec.emit(pod, note);
  }
  await rec.flush();
  assert.equal([...f.store.values()].filter((e) => e.involvedObject.name === 'web-1').length, 1, 'one event for web-1, its repeats folded in');
  assert.equal([...f.store.values()].find((e) => e.involvedObject.name === 'web-1')!.count, 6);
  // A new message from web-1 is a new series, and its rate limit (burst 2, the first one spent) allows one more.
  rec.emit(pod, { ...note, message: 'second' });
  rec.emit(pod, { ...note, message: 'third' });
  await rec.flush();
  assert.equal([...f.store.values()].filter((e) => e.involvedObject.name === 'web-1').length, 2, 'the rate limit was remembered: "third" dropped');
  // other-0 has been quiet longest: its series was forgotten, so its repeat is a new event, and its rate limit starts full.
  t += 1;
  rec.emit(other(0), note);
  await rec.flush();
  assert.equal([...f.store.values()].filter((e) => e.involvedObject.name === 'other-0').length, 2);
});

test('API failures never reach the caller; a deleted (expired) event is re-created', async () => {
  const f = fakeEvents();
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {}, child() { return log; } };
  const rec = createEventRecorder({ clients: f.clients, component: 'c', instance: 'i', log });
  f.failNextCreate(1);
  assert.doesNotThrow(() => rec.emit(pod, { type: 'Normal', reason: 'R', message: 'x' }));
  await rec.flush();
  assert.deepEqual(warnings, ['could not record event']);
  rec.emit(pod, { type: 'Normal', reason: 'R', message: 'y' });
  await rec.flush();
  f.store.clear();
  rec.emit(pod, { type: 'Normal', reason: 'R', message: 'y' });
  await rec.flush();
  assert.deepEqual(f.calls, ['create', 'create', 'patch', 'create']);
  assert.equal([...f.store.values()][0]!.count, 1);
});

test('event names stay within 253 characters for long object names', async () => {
  const f = fakeEvents();
  const rec = createEventRecorder({ clients: f.clients, component: 'c', instance: 'i' });
  rec.emit({ ...pod, name: 'p'.repeat(253) }, { type: 'Normal', reason: 'R', message: 'm' });
  await rec.flush();
  const [ev] = [...f.store.values()];
  assert.ok(ev!.metadata!.name!.length <= 253);
  assert.equal(ev!.involvedObject.name, 'p'.repeat(253));
});

test('past the pending bound Normal events are dropped before Warnings, and drops are logged as a count, not a line each', async () => {
  const f = fakeEvents();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const create = f.clients.core.createNamespacedEvent.bind(f.clients.core);
  (f.clients.core as { createNamespacedEvent: typeof create }).createNamespacedEvent = async (...a: Parameters<typeof create>) => {
    await gate;
    return create(...a);
  };
  const warnings: Array<Record<string, unknown>> = [];
  const log = { debug() {}, info() {}, warn: (_m: string, fields: Record<string, unknown> = {}) => warnings.push(fields), error() {}, child() { return log; } };
  const rec = createEventRecorder({ clients: f.clients, component: 'c', instance: 'i', log: log as never, maxPending: 2, perObject: { burst: 100, refillMs: 1 } });
  const emitFor = (i: number, type: 'Normal' | 'Warning') => rec.emit({ ...pod, name: `p-${i}`, uid: `u-${i}` }, { type, reason: type === 'Normal' ? 'ResourceAllocated' : 'ResourceAllocationFailed', message: `m-${i}` });
  emitFor(0, 'Normal');
  emitFor(1, 'Normal');
  emitFor(2, 'Normal'); // dropped: 2 pending
  emitFor(3, 'Warning'); // kept: Warnings have twice the room
  emitFor(4, 'Warning');
  emitFor(5, 'Warning'); // dropped: 4 pending
  release();
  await rec.flush();
  const written = [...f.store.values()].map((e) => e.involvedObject?.name).sort();
  assert.deepEqual(written, ['p-0', 'p-1', 'p-3', 'p-4']);
  assert.equal(warnings.length, 2, 'the first drop at once, the rest as one count when flushed: not a line each');
  assert.equal(warnings.reduce((n, w) => n + Number(w.dropped), 0), 2, 'every drop counted, once');
});
