import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startProbeServer } from './probes.ts';

test('routes answer with their status, body and content type; unknown paths 404; failures 500', async (t) => {
  let ready = false;
  const s = await startProbeServer({
    host: '127.0.0.1',
    port: 0,
    routes: {
      '/healthz': () => ({ status: 200, body: 'ok\n' }),
      '/readyz': async () => (ready ? { status: 200, body: 'ready\n' } : { status: 503, body: 'informers not synced\n' }),
      '/metrics': () => ({ status: 200, body: 'x 1\n', contentType: 'text/plain; version=0.0.4' }),
      '/broken': () => {
        throw new Error('probe bug');
      },
    },
  });
  t.after(() => s.close());
  const get = async (path: string, method: 'GET' | 'HEAD' | 'POST' = 'GET') => {
    const r = await request(`http://127.0.0.1:${s.port}${path}`, { method });
    return { status: r.statusCode, type: r.headers['content-type'], body: await r.body.text() };
  };
  assert.deepEqual(await get('/healthz'), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });
  assert.equal((await get('/readyz')).status, 503);
  ready = true;
  assert.deepEqual(await get('/readyz?verbose'), { status: 200, type: 'text/plain; charset=utf-8', body: 'ready\n' });
  assert.equal((await get('/metrics')).type, 'text/plain; version=0.0.4');
  assert.equal((await get('/healthz', 'HEAD')).body, '');
  assert.equal((await get('/healthz', 'POST')).status, 405);
  assert.equal((await get('/nope')).status, 404);
  const broken = await get('/broken');
  assert.equal(broken.status, 500);
  assert.match(broken.body, /probe bug/);
});

test('a guard answers before any route: refused requests get its status, headers and body; allowed ones reach the route', async (t) => {
  const seen: Array<{ method: string; path: string; authorization: string | undefined }> = [];
  const s = await startProbeServer({
    host: '127.0.0.1',
    port: 0,
    routes: { '/metrics': () => ({ status: 200, body: 'x 1\n' }) },
    guard: async (r) => {
      seen.push(r);
      if (r.authorization === 'Bearer good') return undefined;
      if (r.authorization === 'Bearer boom') throw new Error('guard bug');
      return { status: 401, body: 'Unauthorized\n', headers: { 'www-authenticate': 'Bearer' } };
    },
  });
  t.after(() => s.close());
  const get = async (path: string, authorization?: string) => {
    const r = await request(`http://127.0.0.1:${s.port}${path}`, { headers: authorization ? { authorization } : {} });
    return { status: r.statusCode, challenge: r.headers['www-authenticate'], body: await r.body.text() };
  };
  assert.deepEqual(await get('/metrics'), { status: 401, challenge: 'Bearer', body: 'Unauthorized\n' });
  assert.deepEqual(await get('/nope'), { status: 401, challenge: 'Bearer', body: 'Unauthorized\n' }, 'unknown paths are not revealed either');
  assert.deepEqual(await get('/metrics', 'Bearer good'), { status: 200, challenge: undefined, body: 'x 1\n' });
  assert.equal((await get('/nope', 'Bearer good')).status, 404);
  assert.equal((await get('/metrics', 'Bearer boom')).status, 500);
  assert.deepEqual(seen[2], { method: 'GET', path: '/metrics', authorization: 'Bearer good' });
});

test('a port already taken fails the start instead of serving nothing', async (t) => {
  const first = await startProbeServer({ host: '127.0.0.1', port: 0, routes: {} });
  t.after(() => first.close());
  await assert.rejects(startProbeServer({ host: '127.0.0.1', port: first.port, routes: {} }), /EADDRINUSE/);
});
