/**
 * @module
 * Lists that may be long (every Windows node, every PodDisruptionBudget), read in pages as kubectl does
 * (`limit` and `continue`, 500 at a time), so a large cluster never answers one request with megabytes.
 */
import type { KubeList } from './objects.ts';
import type { KubeReader } from './rest.ts';

export const PAGE_SIZE = 500;

/** Every item of `path`, following `metadata.continue`. */
export async function listAll<T>(kube: KubeReader, path: string, o: { query?: Record<string, string>; what: string; pageSize?: number }): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await kube.get<KubeList<T>>(path, { query: { ...o.query, limit: String(o.pageSize ?? PAGE_SIZE), ...(token ? { continue: token } : {}) }, what: o.what });
    items.push(...(page.items ?? []));
    token = page.metadata?.continue || undefined;
  } while (token);
  return items;
}

/** `work` over `inputs` with at most `limit` at once, results in input order; the first failure rejects. */
export async function mapLimited<I, O>(inputs: readonly I[], limit: number, work: (input: I) => Promise<O>): Promise<O[]> {
  const out = new Array<O>(inputs.length);
  let next = 0;
  const lane = async () => {
    while (next < inputs.length) {
      const i = next++;
      out[i] = await work(inputs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, lane));
  return out;
}
