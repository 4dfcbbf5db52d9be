/**
 * @module
 * Reading whole collections, for every plugin command that looks at many objects: a paged list (kubectl's
 * `--chunk-size`, 500 a page by default, so one answer never holds a large cluster's every pod), and a list
 * kept current by a watch (`--watch` views): listed once, then every change the API server streams applied to
 * it, a bookmark moving its resourceVersion, a `410 Expired` answered by listing again, and a dropped stream
 * answered by watching again from where it stopped, with backoff while the server cannot be reached.
 */
import { KubeApiError } from '../../pkg/adapters/kube/errors.ts';
import type { KubeList, ObjectMeta } from './objects.ts';
import type { KubeReader, KubeWatch } from './rest.ts';

/** kubectl's default --chunk-size. */
export const PAGE_SIZE = 500;

export interface ListRequest {
  path: string;
  query?: Record<string, string>;
  /** Names the call in errors and progress ("list pods"). */
  what: string;
}

export interface Listed<T> {
  items: T[];
  /** The collection's resourceVersion at the time of the list: where a watch starts. */
  resourceVersion: string;
  /** Requests it took (one per page). */
  requests: number;
}

/**
 * Every item of a collection, page by page. A continue token that expired between pages (410) starts the
 * list again from the first page, once, as kubectl does.
 */
export async function listAll<T>(kube: KubeReader, r: ListRequest, pageSize = PAGE_SIZE): Promise<Listed<T>> {
  let requests = 0;
  for (let attempt = 1; ; attempt++) {
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    try {
      do {
        requests++;
        const page = await kube.get<KubeList<T>>(r.path, { query: { ...r.query, limit: String(pageSize), ...(token ? { continue: token } : {}) }, what: r.what });
        for (const item of page.items ?? []) items.push(item);
        token = page.metadata?.continue || undefined;
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      } while (token);
      return { items, resourceVersion, requests };
    } catch (err) {
      if (attempt === 1 && token && isExpired(err)) continue;
      throw err;
    }
  }
}

function isExpired(err: unknown): boolean {
  const k = KubeApiError.from(err);
  return k instanceof KubeApiError && (k.status === 410 || k.reason === 'Expired' || k.reason === 'Gone');
}

interface Identified {
  metadata?: ObjectMeta;
}

/** Objects are keyed by namespace and name, as the API server keys them. */
export function objectKey(o: Identified): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

export interface WatchedList<T> {
  /** The objects as last seen. */
  items(): T[];
  /** Settles once the first list is in (rejects when it fails: the view has nothing to show). */
  readonly synced: Promise<void>;
  /** Requests made so far: list pages and watch starts. */
  requests(): number;
  close(): void;
}

export interface WatchOptions {
  /** Something changed (called after the first list too); called once per event, callers debounce. */
  onChange(): void;
  /** A watch broke and is being restarted; `err` says why. Called once per broken streak. */
  onTrouble(what: string, err: unknown): void;
  /** Backoff between attempts while the server cannot be reached: 1 s doubling to this. */
  maxBackoffMs?: number;
}

/** A list kept current by a watch. */
export function watchList<T extends Identified>(kube: KubeReader, r: ListRequest, o: WatchOptions): WatchedList<T> {
  const store = new Map<string, T>();
  let closed = false;
  let current: KubeWatch<T> | undefined;
  let requests = 0;
  let wake: (() => void) | undefined;
  const maxBackoff = o.maxBackoffMs ?? 30_000;

  const relist = async (): Promise<string> => {
    const listed = await listAll<T>(kube, r);
    requests += listed.requests;
    store.clear();
    for (const item of listed.items) store.set(objectKey(item), item);
    o.onChange();
    return listed.resourceVersion;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async (firstVersion: string): Promise<void> => {
    let resourceVersion = firstVersion;
    let backoff = 1_000;
    let troubled = false;
    while (!closed) {
      try {
        if (resourceVersion === '') resourceVersion = await relist();
        requests++;
        current = await kube.watch<T>(r.path, { query: { ...r.query, resourceVersion, allowWatchBookmarks: 'true' }, what: `watch ${r.what.replace(/^list /, '')}` });
        if (closed) {
          current.close();
          return;
        }
        for await (const event of current.events) {
          backoff = 1_000;
          troubled = false;
          if (event.type === 'ERROR') {
            const status = event.object as { code?: number; reason?: string; message?: string };
            // Expired: the server no longer has history from resourceVersion on; the only way on is a new list.
            if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') resourceVersion = '';
            else throw new Error(`the watch ended with an error: ${status.message ?? JSON.stringify(status)}`);
            break;
          }
          const version = event.object.metadata?.resourceVersion;
          if (version) resourceVersion = version;
          if (event.type === 'BOOKMARK') continue;
          if (event.type === 'DELETED') store.delete(objectKey(event.object));
          else store.set(objectKey(event.object), event.object);
          o.onChange();
        }
      } catch (err) {
        if (closed) return;
        if (isExpired(err)) resourceVersion = '';
        if (!troubled) o.onTrouble(r.what, err);
        troubled = true;
        await sleep(backoff);
        backoff = Math.min(maxBackoff, backoff * 2);
      }
    }
  };

  const synced = relist().then((rv) => {
    void run(rv);
  });
  return {
    items: () => [...store.values()],
    synced,
    requests: () => requests,
    close: () => {
      closed = true;
      current?.close();
      wake?.();
    },
  };
}
