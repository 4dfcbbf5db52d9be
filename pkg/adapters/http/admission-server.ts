/**
 * @module
 * The HTTPS transport for the admission handlers (controller-runtime's webhook/admission/http.go):
 * POST only, JSON only, a body limit, decode, call the pure handler, encode. A handler that
 * throws gets HTTP 500, so the API server applies the webhook's failurePolicy (Ignore for the
 * mutator, as upstream; Fail for the guard) instead of reading a rejection into it.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Buffer } from 'node:buffer';
import type { Logger } from '../../support/log.ts';
import { systemClock, type Clock } from '../../support/clock.ts';
import { ADMISSION_API_VERSION, type AdmissionReview } from '../../core/admission/review.ts';
import { watchKeyPair } from './cert-reloader.ts';

export type AdmissionHandler = (review: AdmissionReview) => AdmissionReview | Promise<AdmissionReview>;

export interface AdmissionServerOptions {
  host: string;
  port: number;
  /** Holds tls.crt and tls.key (cert-manager's Secret keys). */
  certDir: string;
  log: Logger;
  /** By path, e.g. { '/mutate-v1-pod': ..., '/validate-v1-pod': ... }. */
  handlers: Record<string, AdmissionHandler>;
  /** How often the certificate files are checked for changes. Default 1 s. */
  certPollMs?: number;
  /** On close, how long reviews in flight may take before their connections are cut. Default 5 s. */
  closeGraceMs?: number;
  /** Certificate polls and the close grace period; default: the system clock. */
  clock?: Pick<Clock, 'after'>;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/**
 * An AdmissionReview for a pod is far below this; controller-runtime uses 7 MiB, derived from
 * etcd's 1.5 MiB object limit times the object + oldObject + headroom in a review.
 */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

export async function startAdmissionServer(o: AdmissionServerOptions): Promise<RunningServer> {
  const log = o.log.child({ component: 'admission-server' });
  let server: Server | undefined;
  const certs = watchKeyPair({
    certDir: o.certDir,
    log,
    ...(o.certPollMs !== undefined ? { intervalMs: o.certPollMs } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    onChange: (pair) => server?.setSecureContext(pair),
  });
  let closing = false;
  server = createServer({ ...certs.current() }, (req, res) => {
    // While closing, a finished answer also ends its keep-alive connection, so close() need not wait for the idle timeout.
    res.on('finish', () => {
      if (closing) req.socket.end();
    });
    handle(req, res, o.handlers, log).catch((err: unknown) => {
      // Nothing in handle() should throw; if it does, answer 500 rather than crash the process on an unhandled rejection.
      log.error('admission request failed', { err, path: req.url });
      if (res.headersSent) res.destroy();
      else plain(res, 500, 'the admission server failed on this request; see its log');
    });
  });
  // A review call that hangs must not hold a socket forever; the API server times out at 10-30 s.
  server.requestTimeout = 35_000;
  server.headersTimeout = 10_000;
  // kube-apiserver's webhook client keeps idle connections for 90 s (Go's transport default) and reuses them.
  // With Node's 5 s default, the server could close a socket just as the API server sent a review on it; the
  // call fails, failurePolicy Ignore admits the pod without the IP resource, and it never gets an address.
  // Outliving the client's idle timeout leaves the close to the client. (headersTimeout only applies while a
  // request is arriving, not to idle sockets.)
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(o.port, o.host, () => {
      server!.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  log.info('admission webhooks listening', { host: o.host, port, paths: Object.keys(o.handlers) });
  return {
    port,
    // Reviews in flight are answered first (the API server would apply failurePolicy to a cut
    // call); idle keep-alive connections go at once; stragglers are cut after the grace period.
    close: () =>
      new Promise<void>((resolve) => {
        certs.stop();
        closing = true;
        const force = (o.clock ?? systemClock).after(o.closeGraceMs ?? 5_000, () => server!.closeAllConnections());
        server!.close(() => {
          force.cancel();
          resolve();
        });
        server!.closeIdleConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, handlers: Record<string, AdmissionHandler>, log: Logger): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const handler = Object.hasOwn(handlers, path) ? handlers[path] : undefined;
  if (!handler) return plain(res, 404, `no admission webhook at ${path}; known: ${Object.keys(handlers).join(', ')}`);
  if (req.method !== 'POST') return plain(res, 405, `use POST for ${path}`);
  const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct !== 'application/json') return plain(res, 415, `content-type must be application/json, got "${ct}"`);
  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY_BYTES);
  } catch (err) {
    // The rest of the body is not worth reading: answer, then drop the connection.
    return plain(res, 413, (err as Error).message, { connection: 'close' });
  }
  if (body.length === 0) return plain(res, 400, 'empty request body: expected an AdmissionReview');
  let review: AdmissionReview;
  try {
    review = JSON.parse(body.toString('utf8')) as AdmissionReview;
  } catch (err) {
    return plain(res, 400, `request body is not JSON: ${(err as Error).message}`);
  }
  if (review?.apiVersion !== ADMISSION_API_VERSION || review.kind !== 'AdmissionReview' || !review.request?.uid) {
    return plain(res, 400, `expected an ${ADMISSION_API_VERSION} AdmissionReview with request.uid (set admissionReviewVersions: ["v1"] on the webhook configuration)`);
  }
  let out: AdmissionReview;
  try {
    out = await handler(review);
  } catch (err) {
    log.error('admission handler failed', { path, err, uid: review.request.uid });
    return plain(res, 500, `admission handler failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!out?.response) {
    log.error('admission handler returned no response', { path, uid: review.request.uid });
    return plain(res, 500, `admission handler for ${path} returned no response`);
  }
  // The API server requires the response to echo the request's uid and the review's GVK.
  const response = { ...out.response, uid: review.request.uid };
  if (!response.allowed) log.info('admission denied', { path, uid: review.request.uid, user: review.request.userInfo?.username, message: response.status?.message });
  const payload = JSON.stringify({ apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function plain(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify({ error: message });
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return reject(new Error(`request body of ${declared} bytes exceeds the ${limit}-byte limit`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        // Not req.destroy(): that resets the connection, and the caller never sees the 413 that says why.
        req.off('data', onData);
        chunks.length = 0;
        req.resume();
        reject(new Error(`request body exceeds the ${limit}-byte limit`));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
