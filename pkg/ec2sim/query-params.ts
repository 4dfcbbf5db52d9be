/**
 * @module
 * Reading EC2 Query-protocol parameters: flattened lists (`InstanceId.1`, `InstanceId.2`), filters
 * (`Filter.1.Name`, `Filter.1.Value.1`), integers and pagination, each failing with EC2's own error codes.
 */
import { SimError, invalidParameterValue, missingParameter } from './sim-error.ts';

export interface Filter {
  name: string;
  values: string[];
}

export class QueryParams {
  readonly #params: URLSearchParams;
  constructor(params: URLSearchParams) {
    this.#params = params;
  }

  get(name: string): string | undefined {
    return this.#params.get(name) ?? undefined;
  }

  required(name: string): string {
    const v = this.get(name);
    if (v === undefined || v === '') throw missingParameter(name);
    return v;
  }

  /** `Name.1`, `Name.2`, ... in index order. Gaps and non-numeric indexes are rejected. */
  list(name: string): string[] {
    const found: Array<[number, string]> = [];
    const prefix = `${name}.`;
    for (const [key, value] of this.#params) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      if (!/^[1-9]\d*$/.test(rest)) throw invalidParameterValue(key, value, `Expected ${name}.N with N = 1, 2, ...`);
      found.push([Number(rest), value]);
    }
    found.sort((a, b) => a[0] - b[0]);
    return found.map(([, v]) => v);
  }

  filters(known: readonly string[]): Filter[] {
    const byIndex = new Map<number, Filter>();
    for (const [key, value] of this.#params) {
      const m = /^Filter\.(\d+)\.(Name|Value\.(\d+))$/.exec(key);
      if (!m) {
        if (key.startsWith('Filter.')) throw invalidParameterValue(key, value, 'Expected Filter.N.Name and Filter.N.Value.M.');
        continue;
      }
      const index = Number(m[1]);
      const f = byIndex.get(index) ?? { name: '', values: [] };
      if (m[2] === 'Name') f.name = value;
      else f.values.push(value);
      byIndex.set(index, f);
    }
    const filters = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
    for (const f of filters) {
      if (f.name === '') throw missingParameter('Filter.N.Name');
      // The SDK drops an empty Values list and sends the name alone; a filter that can match nothing is almost
      // always a caller bug, so the simulator says so instead of answering an empty page.
      if (f.values.length === 0) throw new SimError('InvalidParameterValue', `The filter '${f.name}' has no values; give at least one Filter.N.Value.M`);
      if (!known.includes(f.name)) {
        throw new SimError('InvalidParameterValue', `The filter '${f.name}' is invalid; this simulator supports: ${known.join(', ')}`);
      }
    }
    return filters;
  }

  integer(name: string, range?: { min: number; max: number }): number | undefined {
    const text = this.get(name);
    if (text === undefined) return undefined;
    if (!/^-?\d+$/.test(text)) throw invalidParameterValue(name, text, 'It must be an integer.');
    const n = Number(text);
    if (range && (n < range.min || n > range.max)) {
      throw invalidParameterValue(name, text, `It must be between ${range.min} and ${range.max}.`);
    }
    return n;
  }
}

/** EC2 filter values may use `*` (any run of characters) and `?` (one character). */
function valueMatches(pattern: string, actual: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === actual;
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(actual);
}

/**
 * A resource matches when, for every filter, one of the filter's values matches the field (EC2 ORs values and
 * ANDs filters). A multi-valued field (e.g. every private address of an ENI) matches when any element does.
 */
export function matchesFilters(filters: Filter[], fieldOf: (name: string) => string | string[] | undefined): boolean {
  return filters.every((f) => {
    const field = fieldOf(f.name);
    const actuals = field === undefined ? [] : Array.isArray(field) ? field : [field];
    return actuals.some((actual) => f.values.some((v) => valueMatches(v, actual)));
  });
}

/**
 * Pagination over a stable ordering. The token binds the offset to the request's other parameters, so a token
 * reused with different filters is rejected, as EC2 does.
 */
export function paginate<T>(items: T[], opts: { maxResults: number | undefined; nextToken: string | undefined; requestKey: string }): { page: T[]; nextToken: string | undefined } {
  let offset = 0;
  if (opts.nextToken !== undefined) {
    let decoded: { o?: unknown; k?: unknown } | undefined;
    try {
      decoded = JSON.parse(Buffer.from(opts.nextToken, 'base64url').toString('utf8')) as { o?: unknown; k?: unknown };
    } catch {
      decoded = undefined;
    }
    if (!decoded || typeof decoded.o !== 'number' || decoded.k !== opts.requestKey) {
      throw new SimError('InvalidPaginationToken', `The pagination token "${opts.nextToken}" is invalid for this request.`);
    }
    offset = decoded.o;
  }
  if (opts.maxResults === undefined) return { page: items.slice(offset), nextToken: undefined };
  const page = items.slice(offset, offset + opts.maxResults);
  const next = offset + page.length;
  return {
    page,
    nextToken: next < items.length ? Buffer.from(JSON.stringify({ o: next, k: opts.requestKey })).toString('base64url') : undefined,
  };
}
