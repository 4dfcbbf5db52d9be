/**
 * @module
 * The plain-HTTP server for /healthz, /readyz and /metrics. Routes are functions so the
 * composition root decides what "ready" means; this module only serves them.
 */
import { createServer } from 'node:http';
import { Buffer } from 'node:buffer';

export interface ProbeResult {
  status: number;
  body: string;
  contentType?: string;
}

export type ProbeRoute = () => ProbeResult | Promise<ProbeResult>;

export interface ProbeServerOptions {
  host: string;
  port: number;
  routes: Record<string, ProbeRoute>;
}

export async function startProbeServer(o: ProbeServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = Object.hasOwn(o.routes, path) ? o.routes[path] : undefined;
    const send = (r: ProbeResult) => {
      const body = Buffer.from(r.body);
      res.writeHead(r.status, { 'content-type': r.contentType ?? 'text/plain; charset=utf-8', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (!route) return send({ status: 404, body: `not found: ${path}; try ${Object.keys(o.routes).join(', ')}\n` });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send({ status: 405, body: 'use GET\n' });
    Promise.resolve()
      .then(route)
      .then(send, (err: unknown) => send({ status: 500, body: `probe failed: ${err instanceof Error ? err.message : String(err)}\n` }));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
