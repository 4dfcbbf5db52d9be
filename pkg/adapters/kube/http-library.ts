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
import { ResponseContext, wrapHttpLibrary, type HttpLibrary, type RequestContext, type ResponseBody } from '@kubernetes/client-node';
import { request, type Dispatcher } from 'undici';

export const undiciHttpLibrary: HttpLibrary = wrapHttpLibrary({
  async send(ctx: RequestContext): Promise<ResponseContext> {
    const body = ctx.getBody();
    if (body !== undefined && typeof body !== 'string') {
      // FormData: nothing in this project sends it; say so instead of sending something else.
      throw new TypeError(`${ctx.getHttpMethod()} ${ctx.getUrl()}: only string request bodies are supported`);
    }
    const signal = ctx.getSignal();
    const dispatcher = ctx.getDispatcher();
    const res = await request(ctx.getUrl(), {
      method: ctx.getHttpMethod() as Dispatcher.HttpMethod,
      headers: ctx.getHeaders(),
      ...(body !== undefined ? { body } : {}),
      ...(signal ? { signal } : {}),
      ...(dispatcher ? { dispatcher } : {}),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return new ResponseContext(res.statusCode, headers, responseBody(res.body));
  },
});

function responseBody(body: Dispatcher.ResponseData['body']): ResponseBody {
  let bytes: Promise<Buffer> | undefined;
  const binary = () => (bytes ??= body.arrayBuffer().then((b) => Buffer.from(b)));
  return {
    binary,
    text: async () => (await binary()).toString('utf8'),
    // Only the log and exec helpers stream a response; the generated API clients read it whole.
    stream: () => {
      throw new TypeError('this HTTP library reads responses whole; use a watch for streams');
    },
  };
}
