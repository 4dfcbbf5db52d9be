/**
 * @module
 * Reads from the Kubernetes API the way kubectl's `get` does, for every plugin command: GET a path,
 * JSON back, gzip accepted, the kubeconfig's TLS and credentials. Like kubectl, it speaks HTTP/2 when the
 * server offers it, so a command's concurrent reads share one connection and one TLS handshake; HTTP/1.1
 * with keep-alive otherwise, and through a kubeconfig `proxy-url`.
 *
 * Failures come back as kubectl users know them: HTTP errors as KubeApiError (pkg/kube/errors.ts, which
 * names a missing RBAC permission), network errors as {@link KubeUnreachableError} naming the server and
 * the socket error ("connect ECONNREFUSED 127.0.0.1:6443"), a timeout as such with the flag that set it.
 * Built on Node's own http modules rather than client-node and undici, whose loading dominated a run's
 * time and memory (docs/plugin.md, "Start-up").
 */
import type * as Http from 'node:http';
import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import { fromStatusAndBody } from '../../pkg/adapters/kube/errors.ts';
import { fs, http, http2, https, tls as tlsModule, zlib } from '../builtins.ts';
import { CliError } from '../io.ts';
import { mark } from '../timing.ts';
import { runExecCredential } from './exec-credentials.ts';
import type { KubeTarget } from './kubeconfig.ts';

/** The API server could not be reached, or did not answer in time. */
export class KubeUnreachableError extends Error {
  readonly server: string;
  /** The socket or DNS error code (ECONNREFUSED, ENOTFOUND, ...), or TIMEOUT. */
  readonly code: string;
  constructor(server: string, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeUnreachableError';
    this.server = server;
    this.code = code;
  }
}

/** One event of a watch, as the API server streams it (one JSON object per line). */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  /** The object; for ERROR a metav1.Status (410 Expired: the resourceVersion is too old, list again). */
  object: T;
}

/** A watch that is running: its events in order, until the server ends the stream or `close()` is called. */
export interface KubeWatch<T> {
  events: AsyncIterable<WatchEvent<T>>;
  close(): void;
}

export interface KubeReader {
  /** GET `path` (with `query`), parsed JSON. `what` names the call in errors and progress ("get nodes"). */
  get<T>(path: string, o: { query?: Record<string, string>; what: string }): Promise<T>;
  /**
   * A watch on `path` (`watch=1` is added): resolves once the server accepted it (HTTP errors reject as
   * from `get`), then yields its events. On the same HTTP/2 connection as every other request; no
   * --request-timeout beyond the wait for the server's answer, since a watch is meant to stay open.
   */
  watch<T>(path: string, o: { query?: Record<string, string>; what: string }): Promise<KubeWatch<T>>;
  /**
   * Settles once the connection is up (or has failed), so callers can do CPU-heavy work (loading code)
   * after the TLS handshake instead of stalling it; never rejects.
   */
  readonly connected: Promise<void>;
  readonly server: string;
  close(): void;
}

export interface KubeReaderOptions {
  target: KubeTarget;
  env: Readonly<Record<string, string | undefined>>;
  /** Per request, from --request-timeout; undefined waits as long as it takes. */
  timeoutMs: number | undefined;
  userAgent: string;
  stdinIsTTY: boolean;
  /** Called when a request starts; the returned function when it ends, for progress notices. */
  onRequest?: (what: string) => () => void;
}

interface Credentials {
  header?: string;
  cert?: string | Buffer;
  key?: string | Buffer;
}

interface Response {
  status: number;
  body: Buffer;
}

/** A response whose body is read as it arrives (a watch); `status` is 2xx, other answers reject. */
interface OpenStream {
  body: AsyncIterable<Buffer>;
  close(): void;
}

/** One way of sending GETs: HTTP/2 on one connection, or HTTP/1.1 with keep-alive. */
interface Transport {
  get(path: string, headers: Record<string, string>, timeoutMs: number | undefined): Promise<Response>;
  /** Rejects with the API server's error for a non-2xx answer; `timeoutMs` bounds only the wait for the headers. */
  stream(path: string, headers: Record<string, string>, timeoutMs: number | undefined): Promise<OpenStream>;
  close(): void;
}

class NetworkFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function createKubeReader(o: KubeReaderOptions): KubeReader {
  const t = o.target;
  const url = new URL(t.server);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') throw new CliError(`the kubeconfig's server "${t.server}" is not an http(s) URL`);
  if (t.proxyUrl && !/^https?:/.test(t.proxyUrl)) throw new CliError(`proxy-url "${t.proxyUrl}" of the kubeconfig's cluster: only http and https proxies are supported`);

  let credentials: Promise<Credentials> | undefined;
  const authenticate = () => {
    credentials ??= (async (): Promise<Credentials> => {
      const c = t.credentials;
      switch (c.kind) {
        case 'none':
          return {};
        case 'token':
          return { header: `Bearer ${c.token}` };
        case 'token-file': {
          let token: string;
          try {
            token = fs().readFileSync(c.path, 'utf8');
          } catch (err) {
            throw new CliError(`cannot read the token file ${c.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
          }
          return { header: `Bearer ${token.trim()}` };
        }
        case 'basic':
          return { header: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` };
        case 'client-certificate':
          return { cert: c.cert, key: c.key };
        case 'exec': {
          const r = await runExecCredential({ exec: c.exec, userName: c.userName, env: o.env, server: t.server, stdinIsTTY: o.stdinIsTTY });
          return 'token' in r ? { header: `Bearer ${r.token}` } : { cert: r.cert, key: r.key };
        }
      }
    })();
    return credentials;
  };

  let signalConnected: () => void = () => {};
  const connected = new Promise<void>((r) => (signalConnected = r));
  let transport: Promise<Transport> | undefined;
  const transportFor = (c: Credentials) => {
    transport ??= (async () => {
      const tls = { ca: t.ca, cert: c.cert, key: c.key, rejectUnauthorized: !t.insecureSkipTlsVerify, servername: t.tlsServerName ?? (isIp(url.hostname) ? undefined : url.hostname) };
      if (secure && !t.proxyUrl) return connectPreferringHttp2(url, tls);
      return http1Transport(url, tls, t.proxyUrl);
    })();
    transport.then(signalConnected, signalConnected);
    return transport;
  };

  const get = async <T>(path: string, r: { query?: Record<string, string>; what: string }): Promise<T> => {
    const done = o.onRequest?.(r.what);
    mark(`kube: ${r.what} sent`);
    try {
      const qs = r.query ? `?${new URLSearchParams(r.query).toString()}` : '';
      // The deadline covers the connection too: a server that accepts and never completes TLS is bounded.
      const { status, body } = await bounded(
        (async () => {
          const c = await authenticate();
          return (await transportFor(c)).get(
            `${url.pathname.replace(/\/$/, '')}${path}${qs}`,
            { accept: 'application/json', 'accept-encoding': 'gzip', 'user-agent': o.userAgent, ...(c.header ? { authorization: c.header } : {}) },
            o.timeoutMs,
          );
        })(),
        o.timeoutMs,
      );
      mark(`kube: ${r.what} answered (${status}, ${body.length} bytes)`);
      if (status < 200 || status > 299) throw fromStatusAndBody(status, body.toString('utf8'));
      return JSON.parse(body.toString('utf8')) as T;
    } catch (err) {
      if (err instanceof NetworkFailure) throw new KubeUnreachableError(t.server, err.code, err.message, { cause: err.cause });
      throw err;
    } finally {
      done?.();
    }
  };

  const watch = async <T>(path: string, r: { query?: Record<string, string>; what: string }): Promise<KubeWatch<T>> => {
    const done = o.onRequest?.(r.what);
    mark(`kube: ${r.what} watch sent`);
    let open: OpenStream;
    try {
      const qs = `?${new URLSearchParams({ ...r.query, watch: '1' }).toString()}`;
      open = await bounded(
        (async () => {
          const c = await authenticate();
          // No accept-encoding: a watch is a stream of small lines, each wanted the moment it is sent.
          return (await transportFor(c)).stream(
            `${url.pathname.replace(/\/$/, '')}${path}${qs}`,
            { accept: 'application/json', 'user-agent': o.userAgent, ...(c.header ? { authorization: c.header } : {}) },
            o.timeoutMs,
          );
        })(),
        o.timeoutMs,
      );
    } catch (err) {
      if (err instanceof NetworkFailure) throw new KubeUnreachableError(t.server, err.code, err.message, { cause: err.cause });
      throw err;
    } finally {
      done?.();
    }
    mark(`kube: ${r.what} watching`);
    return { events: watchEvents<T>(open.body, t.server), close: open.close };
  };

  return {
    get: <T>(path: string, r: { query?: Record<string, string>; what: string }) => {
      const result = get<T>(path, r);
      // A failure before any connection (no credentials, a bad token file) also ends the wait.
      result.catch(signalConnected);
      return result;
    },
    watch: <T>(path: string, r: { query?: Record<string, string>; what: string }) => {
      const result = watch<T>(path, r);
      result.catch(signalConnected);
      return result;
    },
    connected,
    server: t.server,
    close: () => {
      transport?.then((x) => x.close(), () => {});
    },
  };
}

interface TlsOptions {
  ca: Buffer | undefined;
  cert: string | Buffer | undefined;
  key: string | Buffer | undefined;
  rejectUnauthorized: boolean;
  servername: string | undefined;
}

const isIp = (host: string) => /^[\d.]+$/.test(host) || host.includes(':') || host.startsWith('[');
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');
const portOf = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

function secureContextFor(tls: TlsOptions): SecureContext {
  return tlsModule().createSecureContext({ ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) });
}

/**
 * Opens one TLS connection offering h2 and http/1.1 (ALPN). With h2 every request is a stream on it; a
 * server that picks http/1.1 gets the keep-alive transport instead.
 */
function connectPreferringHttp2(url: URL, tls: TlsOptions): Promise<Transport> {
  const secureContext = secureContextFor(tls);
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = tlsModule().connect({
      host: hostOf(url),
      port: portOf(url),
      secureContext,
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.servername ? { servername: tls.servername } : {}),
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    socket.once('error', (e) => reject(networkFailure(e)));
    socket.once('secureConnect', () => {
      mark(`kube: connected (${socket.alpnProtocol || 'no ALPN'})`);
      if (socket.alpnProtocol === 'h2') {
        socket.removeAllListeners('error');
        resolve(http2Transport(url, socket));
      } else {
        socket.destroy();
        resolve(http1Transport(url, tls, undefined, secureContext));
      }
    });
  });
}

function http2Transport(url: URL, socket: TLSSocket): Transport {
  const session: ClientHttp2Session = http2().connect(`https://${url.host}`, { createConnection: () => socket });
  let broken: NetworkFailure | undefined;
  session.on('error', (e) => {
    broken = networkFailure(e);
  });
  return {
    get(path, headers, timeoutMs) {
      if (broken) return Promise.reject(broken);
      return new Promise((resolve, reject) => {
        const stream = session.request({ ':method': 'GET', ':path': path, ...headers });
        const settle = deadline(timeoutMs, () => stream.close(), resolve, reject);
        let status = 0;
        let encoding: string | undefined;
        const chunks: Buffer[] = [];
        stream.on('response', (h) => {
          status = Number(h[':status'] ?? 0);
          encoding = h['content-encoding'] as string | undefined;
        });
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (e) => settle.fail(broken ?? networkFailure(e)));
        stream.on('end', () => decode(Buffer.concat(chunks), encoding, status, settle));
        stream.end();
      });
    },
    stream(path, headers, timeoutMs) {
      if (broken) return Promise.reject(broken);
      return new Promise((resolve, reject) => {
        const stream = session.request({ ':method': 'GET', ':path': path, ...headers });
        let answered = false;
        const timer = timeoutMs
          ? setTimeout(() => {
              stream.close();
              reject(new NetworkFailure('TIMEOUT', `no answer within ${formatMs(timeoutMs)} (--request-timeout)`));
            }, timeoutMs)
          : undefined;
        stream.on('response', (h) => {
          answered = true;
          clearTimeout(timer);
          const status = Number(h[':status'] ?? 0);
          if (status >= 200 && status < 300) {
            let closed = false;
            resolve({
              body: readWithErrors(stream, () => closed, () => broken),
              close: () => {
                closed = true;
                stream.close();
              },
            });
            return;
          }
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => reject(fromStatusAndBody(status, Buffer.concat(chunks).toString('utf8'))));
        });
        stream.on('error', (e) => {
          if (answered) return;
          clearTimeout(timer);
          reject(broken ?? networkFailure(e));
        });
        stream.end();
      });
    },
    close: () => session.close(),
  };
}

/** A response body as chunks; a reset or broken connection ends it with a NetworkFailure, our own close() quietly. */
async function* readWithErrors(body: AsyncIterable<Buffer>, closed: () => boolean, broken: () => NetworkFailure | undefined): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (err) {
    if (closed()) return;
    throw broken() ?? networkFailure(err as Error);
  }
}

/** The JSON lines of a watch, parsed; a torn last line is an error, an empty one is skipped. */
async function* watchEvents<T>(body: AsyncIterable<Buffer>, server: string): AsyncGenerator<WatchEvent<T>> {
  let pending = '';
  try {
    for await (const chunk of body) {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== '') yield JSON.parse(line) as WatchEvent<T>;
      }
    }
  } catch (err) {
    if (err instanceof NetworkFailure) throw new KubeUnreachableError(server, err.code, err.message, { cause: err.cause });
    throw err;
  }
  if (pending.trim() !== '') yield JSON.parse(pending) as WatchEvent<T>;
}

function http1Transport(url: URL, tls: TlsOptions, proxyUrl: string | undefined, secureContext?: SecureContext): Transport {
  const secure = url.protocol === 'https:';
  const context = secure ? (secureContext ?? secureContextFor(tls)) : undefined;
  const agent: HttpAgent = secure
    ? new (https().Agent)({ keepAlive: true, secureContext: context, rejectUnauthorized: tls.rejectUnauthorized, ...(tls.servername ? { servername: tls.servername } : {}) })
    : new (http().Agent)({ keepAlive: true });
  const tunnel = proxyUrl ? proxyTunnel(new URL(proxyUrl), url) : undefined;
  /**
   * A request's connection over its proxy tunnel: TLS with the API server inside it when the server is https,
   * its certificate checked against the server's host; no SNI for an IP address (RFC 6066, and Node warns).
   */
  const overTunnel = (socket: Socket) => () =>
    secure ? tlsModule().connect({ socket, host: hostOf(url), secureContext: context, rejectUnauthorized: tls.rejectUnauthorized, ...(tls.servername ? { servername: tls.servername } : {}) }) : socket;
  return {
    get(path, headers, timeoutMs) {
      return new Promise((resolve, reject) => {
        let req: Http.ClientRequest | undefined;
        const settle = deadline(timeoutMs, () => req?.destroy(), resolve, reject);
        const onResponse = (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => settle.fail(networkFailure(e)));
          res.on('end', () => decode(Buffer.concat(chunks), contentEncoding(res.headers), res.statusCode ?? 0, settle));
        };
        const start = (createConnection?: () => Socket) => {
          req = (secure ? https() : http()).request(
            { hostname: hostOf(url), port: portOf(url), path, method: 'GET', headers, ...(createConnection ? { createConnection } : { agent }) },
            onResponse,
          );
          req.on('error', (e) => settle.fail(networkFailure(e)));
          req.end();
        };
        if (!tunnel) start();
        else tunnel().then((socket) => start(overTunnel(socket)), (e: NetworkFailure) => settle.fail(e));
      });
    },
    stream(path, headers, timeoutMs) {
      return new Promise((resolve, reject) => {
        let req: Http.ClientRequest | undefined;
        let answered = false;
        const timer = timeoutMs
          ? setTimeout(() => {
              req?.destroy();
              reject(new NetworkFailure('TIMEOUT', `no answer within ${formatMs(timeoutMs)} (--request-timeout)`));
            }, timeoutMs)
          : undefined;
        const onResponse = (res: IncomingMessage) => {
          answered = true;
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            let closed = false;
            resolve({
              body: readWithErrors(res, () => closed, () => undefined),
              close: () => {
                closed = true;
                req?.destroy();
              },
            });
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(fromStatusAndBody(status, Buffer.concat(chunks).toString('utf8'))));
        };
        const start = (createConnection?: () => Socket) => {
          // Its own connection: a watch holds it for as long as it runs, the keep-alive pool is for gets.
          req = (secure ? https() : http()).request(
            { hostname: hostOf(url), port: portOf(url), path, method: 'GET', headers, ...(createConnection ? { createConnection } : secure ? { secureContext: context, rejectUnauthorized: tls.rejectUnauthorized, ...(tls.servername ? { servername: tls.servername } : {}), agent: false } : { agent: false }) },
            onResponse,
          );
          req.on('error', (e) => {
            if (answered) return;
            clearTimeout(timer);
            reject(networkFailure(e));
          });
          req.end();
        };
        if (!tunnel) start();
        else
          tunnel().then(
            (socket) => start(overTunnel(socket)),
            (e: NetworkFailure) => {
              clearTimeout(timer);
              reject(e);
            },
          );
      });
    },
    close: () => agent.destroy(),
  };
}

/** A CONNECT tunnel to the API server through an HTTP(S) proxy (kubeconfig proxy-url), one per request. */
function proxyTunnel(proxy: URL, server: URL): () => Promise<Socket> {
  const target = `${server.hostname}:${portOf(server)}`;
  return () =>
    new Promise((resolve, reject) => {
      const req = (proxy.protocol === 'https:' ? https() : http()).request({
        hostname: hostOf(proxy),
        port: portOf(proxy),
        method: 'CONNECT',
        path: target,
        headers: {
          host: target,
          ...(proxy.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {}),
        },
      });
      req.on('connect', (res, socket) => {
        if (res.statusCode === 200) return resolve(socket);
        socket.destroy();
        reject(new NetworkFailure('EPROXY', `the proxy ${proxy.host} refused CONNECT ${target} (HTTP ${res.statusCode})`));
      });
      req.on('error', (e) => reject(networkFailure(e, ` (proxy ${proxy.host})`)));
      req.end();
    });
}

/** `work`, or a TIMEOUT failure when it takes longer than `timeoutMs`. */
function bounded<T>(work: Promise<T>, timeoutMs: number | undefined): Promise<T> {
  if (!timeoutMs) return work;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new NetworkFailure('TIMEOUT', `no answer within ${formatMs(timeoutMs)} (--request-timeout)`)), timeoutMs);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

interface Settle {
  ok(r: Response): void;
  fail(e: Error): void;
}

/** Settles once; after `timeoutMs` fails with TIMEOUT and aborts the request. */
function deadline(timeoutMs: number | undefined, abort: () => void, resolve: (r: Response) => void, reject: (e: Error) => void): Settle {
  let settled = false;
  const timer = timeoutMs
    ? setTimeout(() => {
        abort();
        settle.fail(new NetworkFailure('TIMEOUT', `no answer within ${formatMs(timeoutMs)} (--request-timeout)`));
      }, timeoutMs)
    : undefined;
  const settle: Settle = {
    ok(r) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    },
    fail(e) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e);
    },
  };
  return settle;
}

function contentEncoding(headers: IncomingHttpHeaders): string | undefined {
  return headers['content-encoding'];
}

function decode(raw: Buffer, encoding: string | undefined, status: number, settle: Settle): void {
  if (encoding === 'gzip') zlib().gunzip(raw, (e, out) => (e ? settle.fail(networkFailure(e)) : settle.ok({ status, body: out })));
  else settle.ok({ status, body: raw });
}

function networkFailure(e: Error, suffix = ''): NetworkFailure {
  const code = (e as NodeJS.ErrnoException).code ?? e.name;
  // Node's messages already read like Go's: "connect ECONNREFUSED 127.0.0.1:6443", "getaddrinfo ENOTFOUND x".
  return new NetworkFailure(code, `${e.message}${suffix}`, { cause: e });
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
