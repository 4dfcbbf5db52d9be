/**
 * @module
 * client-node's HTTP layer on `undici.request` instead of its default, undici's `fetch`.
 *
 * Why: fetch implements the WHATWG machinery (Request and Headers objects, web streams for both
 * bodies, IDL checks) that a Kubernetes client never uses; profiled under a burst of pod annotations
 * it cost more CPU than the controller's own work. `request` takes the same dispatcher (the shared
 * connection pool, with the write fence composed on it) and writes a string body in the same call as
 * undici's onRequestStart. Everything else (auth, middleware, (de)serialization) stays client-node's.
 */
import { ResponseContext, setHeaderOptions, wrapHttpLibrary, type ConfigurationOptions, type HttpLibrary, type RequestContext, type ResponseBody } from '@kubernetes/client-node';
import { request, type Dispatcher } from 'undici';

/** Marks a request whose successful answer the caller does not read; never sent (see {@link discardResponse}). */
const DISCARD_RESPONSE_HEADER = 'x-winprefix-discard-response';

/**
 * Call options for a write whose 2xx answer the caller ignores (a pod annotation, an event, a node patch):
 * the answer is read off the connection but not decoded, so client-node turns `{}` into its model instead
 * of a whole Pod or Node. A profile of a 500-pod burst had that decoding among the controller's largest
 * costs. An error answer is passed on whole: its Status says why.
 */
export function discardResponse(options?: ConfigurationOptions): ConfigurationOptions {
  return setHeaderOptions(DISCARD_RESPONSE_HEADER, '1', options);
}

export const undiciHttpLibrary: HttpLibrary = wrapHttpLibrary({
  async send(ctx: RequestContext): Promise<ResponseContext> {
    const body = ctx.getBody();
    if (body !== undefined && typeof body !== 'string') {
      // FormData: nothing in this project sends it; say so instead of sending something else.
      throw new TypeError(`${ctx.getHttpMethod()} ${ctx.getUrl()}: only string request bodies are supported`);
    }
    const signal = ctx.getSignal();
    const dispatcher = ctx.getDispatcher();
    const { [DISCARD_RESPONSE_HEADER]: discard, ...sent } = ctx.getHeaders();
    const res = await request(ctx.getUrl(), {
      method: ctx.getHttpMethod() as Dispatcher.HttpMethod,
      headers: sent,
      ...(body !== undefined ? { body } : {}),
      ...(signal ? { signal } : {}),
      ...(dispatcher ? { dispatcher } : {}),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    if (discard !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
      await res.body.dump();
      return new ResponseContext(res.statusCode, headers, bodyOf(async () => Buffer.from('{}')));
    }
    return new ResponseContext(res.statusCode, headers, responseBody(res.body));
  },
});

function responseBody(body: Dispatcher.ResponseData['body']): ResponseBody {
  let bytes: Promise<Buffer> | undefined;
  return bodyOf(() => (bytes ??= body.arrayBuffer().then((b) => Buffer.from(b))));
}

/** A response body read whole, once, when first asked for. */
function bodyOf(read: () => Promise<Buffer>): ResponseBody {
  return {
    binary: read,
    text: async () => (await read()).toString('utf8'),
    // Only the log and exec helpers stream a response; the generated API clients read it whole.
    stream: () => {
      throw new TypeError('this HTTP library reads responses whole; use a watch for streams');
    },
  };
}
