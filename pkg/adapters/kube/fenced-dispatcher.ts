/**
 * @module
 * The last-moment leadership check for Kubernetes writes: an undici interceptor that asks the fence in
 * `onRequestStart`, which undici calls synchronously right before it writes a request with a string or
 * Buffer body to an HTTP/1.1 socket (lib/dispatcher/client-h1.js). A check in client-node's middleware
 * is not enough on its own: undici's queue for a free connection lies between it and the socket, and a
 * replica paused there (SIGSTOP, a frozen VM) would send a write after its Lease had passed to another
 * replica. test/controller/deposed-leader.test.ts reads the API server's audit log for that.
 *
 * The fenced view sends over the shared pool's HTTP/1.1 write connections (connections.ts says why not
 * HTTP/2); only the requests sent through it are checked, so the Lease client (which must renew while
 * the fence is closed) goes round it.
 */
import { Readable } from 'node:stream';
import { Dispatcher, getGlobalDispatcher } from 'undici';
import { NotLeadingError, type WriteFence } from '../../support/fence.ts';
import { writeDispatcherFor } from './connections.ts';

const views = new WeakMap<Dispatcher, WeakMap<WriteFence, Dispatcher>>();

/**
 * `base`'s HTTP/1.1 write pool (connections.ts), else `base`, else the global dispatcher, with every
 * request but GET checked against `fence`.
 */
export function fencedDispatcher(base: Dispatcher | undefined, fence: WriteFence): Dispatcher {
  const target = writeDispatcherFor(base) ?? base ?? getGlobalDispatcher();
  let byFence = views.get(target);
  if (!byFence) views.set(target, (byFence = new WeakMap()));
  let view = byFence.get(fence);
  if (!view) byFence.set(fence, (view = target.compose(fenceInterceptor(fence))));
  return view;
}

function fenceInterceptor(fence: WriteFence): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    if ((opts.method ?? 'GET') === 'GET') return dispatch(opts, handler);
    const checked = new FenceCheckingHandler(handler, fence, `${opts.method} ${opts.path.split('?')[0]}`);
    const body = opts.body;
    if (!isAsyncIterable(body)) return dispatch(opts, checked);
    // fetch hands undici its body as an async generator, and undici writes the request line with the
    // first chunk, several promise turns after onRequestStart: a pause there would send a write the
    // fence had passed. Collected first, the body is a Buffer, which undici writes in the same call as
    // onRequestStart. Kubernetes writes are small.
    collect(body).then(
      (bytes) => dispatch({ ...opts, body: bytes }, checked),
      (err: unknown) => dispatch({ ...opts, body: Readable.from(failing(err)) }, checked),
    );
    return true;
  };
}

function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array | string> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v;
}

async function collect(body: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return Buffer.concat(chunks);
}

/** A body that fails when undici reads it, so a failed read reaches the handler as undici's own errors do. */
async function* failing(err: unknown): AsyncGenerator<Buffer> {
  throw err;
}

/** Forwards every callback; refuses the request at its start when the fence is closed. */
class FenceCheckingHandler implements Dispatcher.DispatchHandler {
  readonly #inner: Dispatcher.DispatchHandler;
  readonly #fence: WriteFence;
  readonly #what: string;

  constructor(inner: Dispatcher.DispatchHandler, fence: WriteFence, what: string) {
    this.#inner = inner;
    this.#fence = fence;
    this.#what = what;
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    if (!this.#fence.allowed()) {
      // fetch rejects with TypeError("fetch failed") whose cause is this; isNotLeading() looks there.
      controller.abort(new NotLeadingError(this.#what));
      return;
    }
    this.#inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[2], socket: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[3]): void {
    this.#inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2], statusMessage?: string): void {
    this.#inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>[1]): void {
    this.#inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.#inner.onResponseError?.(controller, error);
  }
}
