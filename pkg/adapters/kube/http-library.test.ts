import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { discardResponse, undiciHttpLibrary } from './http-library.ts';

async function withServer(fn: (url: string, seen: IncomingMessage[]) => Promise<void>): Promise<void> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/fail') {
        res.statusCode = 422;
        res.end('{"kind":"Status","reason":"Invalid","message":"test failed"}');
      } else res.end(JSON.stringify({ kind: 'Pod', echoed: body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

function patch(url: string, headers: Record<string, string> = {}): RequestContext {
  const ctx = new RequestContext(url, HttpMethod.PATCH);
  ctx.setBody('{"metadata":{}}');
  for (const [k, v] of Object.entries(headers)) ctx.setHeaderParam(k, v);
  return ctx;
}

/** The header discardResponse() adds, as client-node's middleware would set it on the request. */
function markerOf(): Record<string, string> {
  const headers: Record<string, string> = {};
  const ctx = { setHeaderParam: (k: string, v: string) => (headers[k] = v) };
  for (const m of discardResponse().middleware ?? []) void (m as { pre(c: unknown): unknown }).pre(ctx);
  return headers;
}

test('a request sends its string body and hands back status, headers and the body read whole', async () => {
  await withServer(async (url) => {
    const res = await undiciHttpLibrary.send(patch(`${url}/pods/p`)).toPromise();
    assert.equal(res.httpStatusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(await res.body.text()), { kind: 'Pod', echoed: '{"metadata":{}}' });
  });
});

test('discardResponse: the marker is never sent, a 2xx answer comes back as {}, an error answer whole', async () => {
  await withServer(async (url, seen) => {
    const marker = markerOf();
    assert.deepEqual(Object.keys(marker), ['x-winprefix-discard-response']);
    const ok = await undiciHttpLibrary.send(patch(`${url}/pods/p`, marker)).toPromise();
    assert.equal(ok.httpStatusCode, 200);
    assert.equal(await ok.body.text(), '{}');
    const failed = await undiciHttpLibrary.send(patch(`${url}/fail`, marker)).toPromise();
    assert.equal(failed.httpStatusCode, 422);
    assert.match(await failed.body.text(), /test failed/);
    assert.equal(seen.length, 2);
    for (const req of seen) assert.equal(req.headers['x-winprefix-discard-response'], undefined, 'the marker stays in the process');
  });
});
