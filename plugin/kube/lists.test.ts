import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromStatusAndBody } from '../../pkg/adapters/kube/errors.ts';
import { listAll, watchList } from './lists.ts';
import type { KubeReader, KubeWatch, WatchEvent } from './rest.ts';

type Obj = { metadata: { name: string; namespace?: string; resourceVersion?: string } };
const obj = (name: string, rv: string): Obj => ({ metadata: { name, resourceVersion: rv } });

/** The API server faked at the reader's boundary: pages for gets, scripted event streams for watches. */
function fakeReader(o: { pages: Array<() => { items: Obj[]; metadata: { continue?: string; resourceVersion: string } }>; watches?: Array<() => AsyncIterable<WatchEvent<Obj>>> }) {
  const gets: Array<Record<string, string>> = [];
  const watches: Array<Record<string, string>> = [];
  let page = 0;
  let w = 0;
  const reader = {
    server: 'https://x',
    connected: Promise.resolve(),
    close() {},
    async get(_path: string, r: { query?: Record<string, string> }) {
      gets.push(r.query ?? {});
      return o.pages[page++]!();
    },
    async watch(_path: string, r: { query?: Record<string, string> }): Promise<KubeWatch<Obj>> {
      watches.push(r.query ?? {});
      const next = o.watches?.[w++];
      if (!next) return { events: (async function* () { await new Promise(() => {}); })(), close() {} };
      return { events: next(), close() {} };
    },
  } as unknown as KubeReader;
  return { reader, gets, watches };
}

async function* events(...list: Array<WatchEvent<Obj>>): AsyncGenerator<WatchEvent<Obj>> {
  for (const e of list) yield e;
}

describe('listAll', () => {
  it('follows continue tokens, pages of 500, and returns the resourceVersion', async () => {
    const { reader, gets } = fakeReader({ pages: [() => ({ items: [obj('a', '1')], metadata: { continue: 'c1', resourceVersion: '10' } }), () => ({ items: [obj('b', '2')], metadata: { resourceVersion: '11' } })] });
    const listed = await listAll<Obj>(reader, { path: '/api/v1/pods', query: { fieldSelector: 'x' }, what: 'list pods' });
    assert.deepEqual(listed.items.map((i) => i.metadata.name), ['a', 'b']);
    assert.equal(listed.resourceVersion, '11');
    assert.equal(listed.requests, 2);
    assert.deepEqual(gets, [{ fieldSelector: 'x', limit: '500' }, { fieldSelector: 'x', limit: '500', continue: 'c1' }]);
  });

  it('starts again once when the continue token expired', async () => {
    const { reader } = fakeReader({
      pages: [
        () => ({ items: [obj('a', '1')], metadata: { continue: 'old', resourceVersion: '10' } }),
        () => {
          throw fromStatusAndBody(410, JSON.stringify({ kind: 'Status', reason: 'Expired', message: 'continue token expired' }));
        },
        () => ({ items: [obj('a', '1'), obj('b', '2')], metadata: { resourceVersion: '12' } }),
      ],
    });
    const listed = await listAll<Obj>(reader, { path: '/api/v1/pods', what: 'list pods' });
    assert.deepEqual(listed.items.map((i) => i.metadata.name), ['a', 'b']);
  });
});

describe('watchList', () => {
  it('applies changes, follows bookmarks, lists again after 410 Expired', async () => {
    let changes = 0;
    let settled: () => void = () => {};
    const sawRelist = new Promise<void>((r) => (settled = r));
    const { reader, watches } = fakeReader({
      pages: [() => ({ items: [obj('a', '1')], metadata: { resourceVersion: '5' } }), () => ({ items: [obj('c', '9')], metadata: { resourceVersion: '20' } })],
      watches: [
        () => events({ type: 'ADDED', object: obj('b', '6') }, { type: 'BOOKMARK', object: obj('', '8') }, { type: 'DELETED', object: obj('a', '7') }, { type: 'ERROR', object: { code: 410, reason: 'Expired' } as unknown as Obj }),
        () => {
          settled();
          return events();
        },
      ],
    });
    const list = watchList<Obj>(reader, { path: '/api/v1/pods', what: 'list pods' }, { onChange: () => changes++, onTrouble: (w, e) => assert.fail(`${w}: ${String(e)}`) });
    await list.synced;
    await sawRelist;
    list.close();
    assert.deepEqual(list.items().map((i) => i.metadata.name), ['c']);
    assert.equal(watches[0]!.resourceVersion, '5');
    assert.equal(watches[0]!.allowWatchBookmarks, 'true');
    assert.equal(watches[1]!.resourceVersion, '20', 'after 410 the watch starts from the new list');
    assert.ok(changes >= 4);
  });
});
