import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch } from 'undici';
import { fenceOf, isNotLeading } from '../../support/fence.ts';
import { fencedDispatcher } from './fenced-dispatcher.ts';

async function withServer(fn: (url: string, seen: string[], hold: { release: () => void; held: Promise<void> }) => Promise<void>): Promise<void> {
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let markHeld!: () => void;
  const held = new Promise<void>((r) => (markHeld = r));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    if (req.url === '/slow') {
      markHeld();
      void gate.then(() => res.end('ok'));
    } else res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, { release, held });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('a write queued for a connection while the fence closes is never sent', async () => {
  await withServer(async (url, seen, hold) => {
    // One connection: the second request waits in undici's queue behind the first.
    const agent = new Agent({ connections: 1, pipelining: 1 });
    let leading = true;
    const fenced = fencedDispatcher(agent, fenceOf(() => leading));
    try {
      const first = fetch(`${url}/slow`, { dispatcher: fenced });
      await hold.held;
      const write = fetch(`${url}/nodes/n1`, { method: 'PATCH', body: '{}', dispatcher: fenced });
      const refused = write.then(() => assert.fail('the write was sent'), (err: unknown) => err);
      leading = false;
      hold.release();
      assert.equal((await first).status, 200);
      const err = await refused;
      assert.ok(isNotLeading(err), `refused as not leading, got ${String(err)}`);
      assert.match(String((err as Error).cause), /PATCH \/nodes\/n1 not written: this replica no longer leads/);
      assert.deepEqual(seen, ['GET /slow']);
    } finally {
      await agent.destroy();
    }
  });
});

test('a write whose body is still being read when the fence closes is never sent', async () => {
  await withServer(async (url, seen) => {
    const agent = new Agent();
    let leading = true;
    let push!: (c: ReadableStreamDefaultController<Uint8Array>) => void;
    const started = new Promise<void>((r) => (push = (c) => {
      // fetch has taken the request: from here undici would call onRequestStart before the body's first chunk.
      setImmediate(() => {
        leading = false;
        c.enqueue(new TextEncoder().encode('{}'));
        c.close();
        r();
      });
    }));
    try {
      const body = new ReadableStream<Uint8Array>({ start: (c) => push(c) });
      const write = fetch(`${url}/pods/p`, { method: 'PATCH', body, duplex: 'half', dispatcher: fencedDispatcher(agent, fenceOf(() => leading)) });
      await started;
      await assert.rejects(write, (err) => isNotLeading(err));
      assert.deepEqual(seen, []);
    } finally {
      await agent.destroy();
    }
  });
});

test('reads pass a closed fence; writes pass an open one; the view shares the connection pool', async () => {
  await withServer(async (url, seen) => {
    const agent = new Agent({ connections: 1 });
    let leading = false;
    const fence = fenceOf(() => leading);
    try {
      assert.equal(fencedDispatcher(agent, fence), fencedDispatcher(agent, fence), 'one view per dispatcher and fence');
      assert.equal((await fetch(`${url}/pods`, { dispatcher: fencedDispatcher(agent, fence) })).status, 200);
      await assert.rejects(fetch(`${url}/pods`, { method: 'POST', body: '{}', dispatcher: fencedDispatcher(agent, fence) }), (err) => isNotLeading(err));
      leading = true;
      assert.equal((await fetch(`${url}/pods`, { method: 'POST', body: '{}', dispatcher: fencedDispatcher(agent, fence) })).status, 200);
      assert.deepEqual(seen, ['GET /pods', 'POST /pods']);
    } finally {
      await agent.destroy();
    }
  });
});
