/**
 * The admission transport on its own (loopback HTTPS, no API server): status codes for bad
 * requests, the body limit, handler failures, uid echo, and start-up errors that name the file.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { issueLoopbackServing } from '../harness/certs.ts';
import { waitFor } from '../harness/wait.ts';
import { createLogger } from '../../pkg/support/log.ts';
import { allowed, startAdmissionServer, MAX_BODY_BYTES, CertError, type AdmissionReview } from '../../pkg/adapters/http/admission.ts';

const dir = mkdtempSync(join(tmpdir(), 'winprefix-admission-'));
let agent: Agent;
let server: { port: number; close(): Promise<void> };
const logLines: string[] = [];

before(async () => {
  const { ca } = await issueLoopbackServing({ dir, caName: 'transport-test-ca', certFileName: 'tls.crt', keyFileName: 'tls.key' });
  agent = new Agent({ connect: { ca: ca.certPem } });
  server = await startAdmissionServer({
    host: '127.0.0.1',
    port: 0,
    certDir: dir,
    log: createLogger({ level: 'debug', write: (l) => logLines.push(l) }),
    handlers: {
      '/ok': (r) => allowed(r),
      '/wrong-uid': (r) => ({ ...allowed(r), response: { uid: 'not-the-request', allowed: true } }),
      '/boom': () => {
        throw new Error('handler exploded');
      },
      '/throws-null': () => {
        throw null;
      },
      '/no-response': () => undefined as unknown as AdmissionReview,
    },
  });
});
after(async () => {
  await server?.close();
  await agent?.close();
  rmSync(dir, { recursive: true, force: true });
});

const review = (uid = 'req-1'): AdmissionReview => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation: 'CREATE', userInfo: {} },
});

async function post(path: string, body: string | Buffer, contentType = 'application/json', method: 'POST' | 'GET' = 'POST') {
  const res = await request(`https://127.0.0.1:${server.port}${path}`, {
    method, dispatcher: agent, headers: { 'content-type': contentType }, ...(method === 'POST' ? { body } : {}),
  });
  return { status: res.statusCode, body: await res.body.text() };
}

test('a valid review gets a v1 AdmissionReview back with the request uid', async () => {
  const r = await post('/ok', JSON.stringify(review('abc')));
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'abc', allowed: true } });
  const w = await post('/wrong-uid', JSON.stringify(review('xyz')));
  assert.equal(JSON.parse(w.body).response.uid, 'xyz', 'the transport always echoes the request uid');
});

test('bad requests get HTTP errors that say what was wrong', async () => {
  assert.equal((await post('/nope', '{}')).status, 404);
  assert.equal((await post('/ok', '', 'application/json', 'GET')).status, 405);
  const ct = await post('/ok', JSON.stringify(review()), 'text/plain');
  assert.equal(ct.status, 415);
  assert.match(ct.body, /application\/json/);
  assert.equal((await post('/ok', '')).status, 400);
  assert.equal((await post('/ok', '{not json')).status, 400);
  const v1beta1 = await post('/ok', JSON.stringify({ ...review(), apiVersion: 'admission.k8s.io/v1beta1' }));
  assert.equal(v1beta1.status, 400);
  assert.match(v1beta1.body, /admissionReviewVersions/);
});

test('bodies over the limit are refused with 413', async () => {
  const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
  const r = await post('/ok', big);
  assert.equal(r.status, 413);
});

test('a chunked body that grows past the limit still gets the 413 that says why, not a reset connection', async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  function* chunks() {
    for (let sent = 0; sent <= MAX_BODY_BYTES; sent += chunk.length) yield chunk;
  }
  const res = await request(`https://127.0.0.1:${server.port}/ok`, {
    method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: Readable.from(chunks()),
  });
  assert.equal(res.statusCode, 413);
  assert.match(await res.body.text(), /exceeds the \d+-byte limit/);
});

test('a throwing handler gives HTTP 500, so the webhook failurePolicy decides, and is logged', async () => {
  const r = await post('/boom', JSON.stringify(review()));
  assert.equal(r.status, 500);
  assert.match(r.body, /handler exploded/);
  assert.ok(logLines.some((l) => JSON.parse(l).msg === 'admission handler failed'));
});

test('a handler that throws a non-Error or answers nothing still gives HTTP 500, and the server lives on', async () => {
  const thrown = await post('/throws-null', JSON.stringify(review()));
  assert.equal(thrown.status, 500);
  assert.match(thrown.body, /admission handler failed: null/);
  const empty = await post('/no-response', JSON.stringify(review()));
  assert.equal(empty.status, 500);
  assert.match(empty.body, /returned no response/);
  assert.equal((await post('/ok', JSON.stringify(review()))).status, 200);
});

test('a missing or broken certificate fails start-up with a message naming the files', async () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  await assert.rejects(
    startAdmissionServer({ host: '127.0.0.1', port: 0, certDir: empty, log: createLogger({ level: 'error' }), handlers: {} }),
    (err: unknown) => err instanceof CertError && /tls\.crt/.test(err.message) && /--cert-dir/.test(err.message),
  );
  writeFileSync(join(empty, 'tls.crt'), 'garbage');
  writeFileSync(join(empty, 'tls.key'), 'garbage');
  await assert.rejects(
    startAdmissionServer({ host: '127.0.0.1', port: 0, certDir: empty, log: createLogger({ level: 'error' }), handlers: {} }),
    (err: unknown) => err instanceof CertError && err.code === 'WEBHOOK_CERT_INVALID',
  );
});

test('close() lets a review in flight finish, then stops', async () => {
  let release: (() => void) | undefined;
  const slow = await startAdmissionServer({
    host: '127.0.0.1',
    port: 0,
    certDir: dir,
    log: createLogger({ level: 'error' }),
    handlers: { '/slow': (r) => new Promise((ok) => (release = () => ok(allowed(r)))) },
  });
  const inFlight = request(`https://127.0.0.1:${slow.port}/slow`, {
    method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify(review('slow-1')),
  });
  // In flight means the handler has it: a close() before the request arrived would test something else.
  await waitFor('the review to reach the handler', async () => (release ? true : undefined), { intervalMs: 10 });
  const closeStarted = performance.now();
  const closed = slow.close();
  setTimeout(() => release!(), 100);
  const res = await inFlight;
  assert.equal(res.statusCode, 200);
  assert.equal(JSON.parse(await res.body.text()).response.uid, 'slow-1');
  await closed;
  // Not the keep-alive timeout (5 s) nor the grace period: done once the answer went out.
  assert.ok(performance.now() - closeStarted < 2_000, `close took ${performance.now() - closeStarted} ms`);
});
