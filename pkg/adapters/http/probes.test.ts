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
