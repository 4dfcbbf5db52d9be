/**
 * @module
 * The server for /healthz, /readyz and /metrics: plain HTTP, or HTTPS from a certificate folder
 * reloaded when its files change, optionally behind an authorization check that runs before any
 * route (so an unauthenticated caller learns nothing, not even which paths exist). Routes are
 * functions so the composition root decides what "ready" means; this module only serves them.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Buffer } from 'node:buffer';
import type { Logger } from '../../support/log.ts';
import { watchKeyPair, type CertPurpose, type CertWatcher } from './cert-reloader.ts';

export interface ProbeResult {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type ProbeRoute = () => ProbeResult | Promise<ProbeResult>;

/** undefined lets the request through; a result is sent instead of the route. */
export type ProbeGuard = (request: { method: string; path: string; authorization: string | undefined }) => Promise<ProbeResult | undefined>;

export interface ProbeServerOptions {
  /** undefined: every interface. */
  host: string | undefined;
  port: number;
  routes: Record<string, ProbeRoute>;
  /** Serve HTTPS with tls.crt and tls.key from this folder (reloaded on change). */
  tls?: { certDir: string; log: Logger; purpose: CertPurpose; pollMs?: number };
  guard?: ProbeGuard;
}

export interface ProbeServer {
  port: number;
  close(): Promise<void>;
}

export async function startProbeServer(o: ProbeServerOptions): Promise<ProbeServer> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const send = (r: ProbeResult) => {
      const body = Buffer.from(r.body);
      res.writeHead(r.status, { ...r.headers, 'content-type': r.contentType ?? 'text/plain; charset=utf-8', 'content-length': body.length });
      res.end(method === 'HEAD' ? undefined : body);
    };
    const fail = (err: unknown) => send({ status: 500, body: `probe failed: ${err instanceof Error ? err.message : String(err)}\n` });
    const serve = () => {
      const route = Object.hasOwn(o.routes, path) ? o.routes[path] : undefined;
      if (!route) return send({ status: 404, body: `not found: ${path}; try ${Object.keys(o.routes).join(', ')}\n` });
      if (method !== 'GET' && method !== 'HEAD') return send({ status: 405, body: 'use GET\n' });
      Promise.resolve().then(route).then(send, fail);
    };
    if (!o.guard) return serve();
    o.guard({ method, path, authorization: req.headers.authorization }).then((refused) => (refused ? send(refused) : serve()), fail);
  };

  let certs: CertWatcher | undefined;
  let server: Server;
  if (o.tls) {
    const tls = o.tls;
    certs = watchKeyPair({
      certDir: tls.certDir,
      log: tls.log,
      purpose: tls.purpose,
      ...(tls.pollMs !== undefined ? { intervalMs: tls.pollMs } : {}),
      onChange: (pair) => httpsServer.setSecureContext(pair),
    });
    const httpsServer = createHttpsServer({ ...certs.current() }, handler);
    server = httpsServer;
  } else {
    server = createHttpServer(handler);
  }
  server.keepAliveTimeout = 5_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    certs?.stop();
    throw err;
  }
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close: () =>
      new Promise<void>((resolve) => {
        certs?.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
