/**
 * @module
 * One keep-alive connection pool per (cluster, user, TLS material) instead of one per request.
 *
 * Why: client-node 2.0.1 builds a fresh undici Agent inside every `applySecurityAuthentication`
 * call (docs/platform-notes.md, "Connections"), so every API call and every watch pays a TLS
 * handshake: 50 calls made 50 connections. Memoizing the private `createDispatcher` brings that
 * to one or two. Each pool keeps the CA, client certificate and key it was made with, so a rotated
 * client certificate (exec plugin, cert-manager, kubelet rotation) gets a fresh pool, and the old
 * pool is closed once its in-flight requests finish. test/kube/connections.test.ts counts TLS
 * handshakes at a server: if a client-node upgrade renames the private method, it fails there.
 */
import type { Socket } from 'node:net';
import { createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent, buildConnector, type Dispatcher } from 'undici';

/** The private client-node method we wrap; typed here because it is `private` in the typings. */
type CreateDispatcher = (cluster: { name?: string; server?: string } | null | undefined, agentOptions: Record<string, unknown>) => unknown;
interface Closable {
  close(): Promise<void>;
  destroy(): Promise<void>;
}
interface Shared {
  pools: Map<string, { material: TlsMaterial; dispatcher: unknown; writes: Dispatcher | undefined; writeSockets: WriteSockets }>;
}

const shared = new WeakMap<KubeConfig, Shared>();
/** The HTTP/1.1 pool for writes beside each shared pool (see {@link writeDispatcherFor}). */
const writePools = new WeakMap<object, Dispatcher>();

/**
 * Writes go over HTTP/1.1 connections of their own, up to this many at once, kept open for reuse. Why: on
 * HTTP/2 (undici's default when the API server offers it) undici hands a request to Node's http2 session,
 * which writes it to the socket on a later turn of the event loop, after the write fence's last check
 * (fenced-dispatcher.ts); a process paused in between (SIGSTOP, a frozen VM) would send it on resume. On
 * HTTP/1.1 undici writes the request in the same call as the check.
 */
export const WRITE_CONNECTIONS = 32;
/**
 * How long an idle write connection is kept. Deployments and jobs arrive in bursts with quiet minutes between
 * them; a burst that finds the pool empty pays a TLS handshake on each connection it opens, on both sides of a
 * busy API server: 30 pods after 35 s of quiet were annotated p50 117-175 ms with 30 s here, 42-82 ms with the
 * connections kept (docs/platform-notes.md, "Connections"). kube-apiserver closes a connection idle for 90 s;
 * staying well below that means it never closes one as we send a request on it.
 */
export const WRITE_KEEP_ALIVE_MS = 60_000;

export function shareConnections(kc: KubeConfig): KubeConfig {
  if (shared.has(kc)) return kc;
  // A cast because `createDispatcher` is private in client-node's typings; the wrapped
  // behaviour is pinned by the connection-counting integration test.
  const target = kc as unknown as { createDispatcher: CreateDispatcher };
  if (typeof target.createDispatcher !== 'function') {
    throw new Error('shareConnections: this @kubernetes/client-node has no KubeConfig.createDispatcher; re-check docs/platform-notes.md, "Connections", for the upgrade');
  }
  const original = target.createDispatcher.bind(kc);
  const state: Shared = { pools: new Map() };
  shared.set(kc, state);
  target.createDispatcher = (cluster, agentOptions) => {
    const key = JSON.stringify([cluster?.name ?? '', cluster?.server ?? '', kc.getCurrentUser()?.name ?? '']);
    const material = tlsMaterialOf(agentOptions);
    const cached = state.pools.get(key);
    if (cached && sameTlsMaterial(cached.material, material)) return cached.dispatcher;
    const dispatcher = original(cluster, agentOptions);
    const writeSockets = new WriteSockets();
    const writes = http1Pool(kc, cluster, agentOptions, writeSockets);
    state.pools.set(key, { material, dispatcher, writes, writeSockets });
    if (dispatcher && writes) writePools.set(dispatcher as object, writes);
    if (cached) {
      closeQuietly(cached.dispatcher, false);
      closeQuietly(cached.writes, false);
    }
    return dispatcher;
  };
  return kc;
}

/**
 * The HTTP/1.1 write connections of `kc`'s pools: open, and open with nothing in flight. A request finds an idle
 * one only once undici has marked it so, a few ticks after its last answer; tests wait for that here.
 */
export function writeConnectionCounts(kc: KubeConfig): { open: number; idle: number } {
  let open = 0;
  let idle = 0;
  for (const pool of shared.get(kc)?.pools.values() ?? []) {
    for (const origin of Object.values((pool.writes as Agent | undefined)?.stats ?? {})) {
      open += Number(origin.connected);
      idle += 'free' in origin ? origin.free : 0;
    }
  }
  return { open, idle };
}

/** The write connections of `kc`'s pools that sent anything since {@link markWriteConnections}, or were opened since. */
export function writeConnectionsUsedSinceMark(kc: KubeConfig): number {
  let used = 0;
  for (const pool of shared.get(kc)?.pools.values() ?? []) used += pool.writeSockets.usedSinceMark();
  return used;
}

/** From now on, a write connection counts as used once it sends again (see {@link writeConnectionsUsedSinceMark}). */
export function markWriteConnections(kc: KubeConfig): void {
  for (const pool of shared.get(kc)?.pools.values() ?? []) pool.writeSockets.mark();
}

/**
 * The write pool's open sockets, each with the bytes it had sent at the last mark. Why bytes: undici takes the
 * first free connection for each request and opens one only when all are busy, so the sockets that sent anything
 * between two marks are about as many as were busy at once at the busiest moment, and that is read here without a
 * hook on any request: a burst of writes pays nothing for being counted.
 */
class WriteSockets {
  readonly #sentAtMark = new Map<Socket, number>();

  opened(socket: Socket): void {
    // Opened since the mark: it was opened for a request, so it counts as used.
    this.#sentAtMark.set(socket, -1);
    socket.once('close', () => this.#sentAtMark.delete(socket));
  }

  mark(): void {
    for (const socket of this.#sentAtMark.keys()) this.#sentAtMark.set(socket, socket.bytesWritten);
  }

  usedSinceMark(): number {
    let used = 0;
    for (const [socket, sent] of this.#sentAtMark) if (socket.bytesWritten > sent) used++;
    return used;
  }
}

/**
 * The HTTP/1.1 pool for writes that shares `dispatcher`'s TLS material, or undefined where there is none
 * (plain HTTP, where every request is HTTP/1.1 anyway, or a proxy, whose tunnel the shared pool keeps).
 */
export function writeDispatcherFor(dispatcher: unknown): Dispatcher | undefined {
  return dispatcher && typeof dispatcher === 'object' ? writePools.get(dispatcher) : undefined;
}

function http1Pool(kc: KubeConfig, cluster: Parameters<CreateDispatcher>[0], agentOptions: Record<string, unknown>, sockets: WriteSockets): Dispatcher | undefined {
  const opts = kc.createDispatcherOptions((cluster ?? null) as Parameters<KubeConfig['createDispatcherOptions']>[0], agentOptions);
  if (opts.type !== 'agent') return undefined;
  return new Agent({ connect: resumingConnector(opts.connect, (socket) => sockets.opened(socket)), allowH2: false, connections: WRITE_CONNECTIONS, keepAliveTimeout: WRITE_KEEP_ALIVE_MS });
}

/**
 * A connector for HTTP/1.1 connections that share one TLS secure context and resume the pool's latest TLS session.
 *
 * Why: a burst after a quiet minute opens its write connections again, up to one per patch in flight. undici
 * keeps TLS sessions only through a WeakRef, so once V8 has collected (any quiet stretch) none is left and each
 * connection is a full handshake: a signature on each side and the client certificate verified by a busy API
 * server. It also builds a secure context per connection from the PEM text (0.5-0.7 ms each). Measured against
 * kube-apiserver with the sandbox's client certificate, 30 requests at once after the connections had closed and
 * V8 had collected: 62-106 ms, none resumed, with undici's own; 39-62 ms, all 30 resumed, with this
 * (docs/platform-notes.md, "Connections"). A session the server no longer accepts costs nothing: the handshake
 * is then a full one. The pool is per TLS material, so a rotated certificate never meets an older session.
 */
export function resumingConnector(connectOptions: ConnectionOptions & { keepAlive?: boolean; keepAliveInitialDelay?: number }, onOpen?: (socket: Socket) => void): buildConnector.connector {
  let secureContext: SecureContext | undefined;
  try {
    secureContext = createSecureContext(connectOptions);
  } catch {
    // Bad PEM text: let each connection build its own and fail with the same error where it always did.
  }
  let session: Buffer | undefined;
  return (options, callback) => {
    // The write pool is HTTP/1.1 only (see WRITE_CONNECTIONS): a connector of our own must not offer h2 either.
    const connect = buildConnector({ ...connectOptions, ...(secureContext ? { secureContext } : {}), ...(session ? { session } : {}), allowH2: false, maxCachedSessions: 0 });
    connect(options, (...args: Parameters<buildConnector.Callback>) => {
      // TLS 1.3 sends its tickets after the handshake: keep the latest, strongly.
      const socket = args[1];
      socket?.on('session', (s: Buffer) => {
        session = s;
      });
      if (socket) onOpen?.(socket);
      callback(...args);
    });
  };
}

/** Closes the pooled connections (at shutdown, or in tests so the event loop can end). */
export async function closeSharedConnections(kc: KubeConfig, o: { force?: boolean } = {}): Promise<void> {
  const state = shared.get(kc);
  if (!state) return;
  const pools = [...state.pools.values()];
  state.pools.clear();
  await Promise.all(pools.flatMap((p) => [closeQuietly(p.dispatcher, o.force ?? false), closeQuietly(p.writes, o.force ?? false)]));
}

function closeQuietly(dispatcher: unknown, force: boolean): Promise<void> {
  const d = dispatcher as Partial<Closable> | undefined;
  const fn = force ? d?.destroy : d?.close;
  if (typeof fn !== 'function') return Promise.resolve();
  return fn.call(d).catch(() => {});
}

/** What decides a pool's TLS identity, of the options client-node builds for every API call. */
const TLS_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;
type TlsMaterial = unknown[];

function tlsMaterialOf(agentOptions: Record<string, unknown>): TlsMaterial {
  return TLS_OPTIONS.map((k) => agentOptions[k]);
}

/**
 * Compared byte for byte. Why not a digest: client-node decodes the CA, certificate and key into new buffers
 * on every API call, and hashing them each time was 4 % of the controller's CPU in a 500-pod burst; comparing
 * them with the pool's is a memcmp each.
 */
function sameTlsMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.every((v, i) => sameOption(v, b[i]));
}

function sameOption(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) return JSON.stringify(a) === JSON.stringify(b);
  return false;
}
