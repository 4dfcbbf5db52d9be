import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from './clock.ts';
import { IdleCompactor, type Compaction } from './idle-compactor.ts';

const MiB = 1024 * 1024;

/** A process whose RSS and event-loop load the test sets; collect() drops RSS to `rssAfterCollect` and takes `pauseMs`. */
function processModel(o: { rss: number; rssAfterCollect?: number; pauseMs?: number; gc?: boolean; settleCollections?: number }) {
  const clock = new ManualClock(0);
  // The heap holds 20 MiB of live objects and, between collections, whatever garbage the test adds.
  const state = { rss: o.rss, busy: 0, collections: 0, heapUsed: 20 * MiB, compacted: [] as Compaction[] };
  const compactor = new IdleCompactor({
    clock,
    collect:
      o.gc === false
        ? undefined
        : () => {
            state.collections++;
            clock.skip(o.pauseMs ?? 80);
            state.rss = o.rssAfterCollect ?? state.rss;
            state.heapUsed = 20 * MiB;
          },
    rss: () => state.rss,
    heapUsed: () => state.heapUsed,
    busyShare: () => state.busy,
    checkEveryMs: 10_000,
    maxBusyShare: 0.05,
    minGrowthBytes: 16 * MiB,
    minIntervalMs: 60_000,
    settleCollections: o.settleCollections ?? 0,
    settleEveryMs: 2_000,
    onCompacted: (r) => state.compacted.push(r),
  });
  return { clock, state, compactor };
}

describe('IdleCompactor', () => {
  it('compacts once the loop was quiet for a period and RSS grew past the threshold, and reports the pause, both sizes and the live heap', () => {
    const { clock, state, compactor } = processModel({ rss: 90 * MiB, rssAfterCollect: 100 * MiB, pauseMs: 120 });
    compactor.start();
    state.rss = 150 * MiB;
    state.heapUsed = 45 * MiB;
    state.busy = 0.6;
    clock.advance(10_000);
    assert.equal(state.collections, 0, 'busy: no pause in the middle of work');
    state.busy = 0.01;
    clock.advance(10_000);
    assert.equal(state.collections, 1);
    assert.deepEqual(state.compacted, [{ reason: 'growth', pauseMs: 120, rssBefore: 150 * MiB, rssAfter: 100 * MiB, heapUsedAfter: 20 * MiB }], 'the heap read after the collection: live objects, not the 25 MiB of garbage before it');
    compactor.stop();
  });

  it('does nothing while RSS stays within the threshold of its mark, however quiet', () => {
    const { clock, state, compactor } = processModel({ rss: 90 * MiB });
    compactor.start();
    state.rss = 90 * MiB + 16 * MiB - 1;
    clock.advance(600_000);
    assert.equal(state.collections, 0);
    compactor.stop();
  });

  it('counts growth from the last compaction, and from the low point when RSS fell on its own', () => {
    const { clock, state, compactor } = processModel({ rss: 100 * MiB, rssAfterCollect: 110 * MiB });
    state.rss = 130 * MiB;
    assert.equal(compactor.check(), true);
    clock.advance(60_000);
    state.rss = 120 * MiB;
    assert.equal(compactor.check(), false, '10 MiB above the compaction, not 16');
    state.rss = 95 * MiB;
    assert.equal(compactor.check(), false);
    state.rss = 112 * MiB;
    assert.equal(compactor.check(), true, '17 MiB above the low point of 95');
  });

  it('waits minIntervalMs between compactions, however much RSS grows', () => {
    const { clock, state, compactor } = processModel({ rss: 100 * MiB });
    state.rss = 200 * MiB;
    assert.equal(compactor.check(), true);
    state.rss = 300 * MiB;
    clock.advance(59_000);
    assert.equal(compactor.check(), false);
    clock.advance(1_000);
    assert.equal(compactor.check(), true);
  });

  it('after start-up, the first quiet looks settleEveryMs apart each collect whatever RSS did; busy looks do not count', () => {
    const { clock, state, compactor } = processModel({ rss: 90 * MiB, settleCollections: 3, pauseMs: 40 });
    compactor.start();
    clock.advance(2_000);
    assert.equal(state.collections, 1, 'quiet, no growth: settles');
    state.busy = 0.5;
    clock.advance(2_000);
    assert.equal(state.collections, 1, 'busy: postponed, not skipped');
    state.busy = 0;
    clock.advance(4_000);
    assert.equal(state.collections, 3);
    assert.deepEqual(state.compacted.map((c) => c.reason), ['settle', 'settle', 'settle']);
    clock.advance(9_000);
    assert.equal(state.collections, 3, 'settled: looks every checkEveryMs, and only growth compacts');
    state.rss = 120 * MiB;
    clock.advance(60_000);
    assert.equal(state.collections, 4);
    assert.equal(state.compacted.at(-1)!.reason, 'growth');
    compactor.stop();
  });

  it('without a collector (no --expose-gc, Deno) it never schedules a look', () => {
    const { clock, state, compactor } = processModel({ rss: 100 * MiB, gc: false });
    compactor.start();
    state.rss = 500 * MiB;
    clock.advance(600_000);
    assert.equal(compactor.check(), false);
    assert.deepEqual(state.compacted, []);
  });

  it('the pause starts a new measuring period, so the next look is not refused for the compaction\'s own busy time', () => {
    const clock = new ManualClock(0);
    // Like eventLoopUtilization deltas: the busy share since the previous read; the collection makes the loop busy.
    let busySinceRead = 0;
    let rss = 100 * MiB;
    const compactor = new IdleCompactor({
      clock,
      collect: () => {
        busySinceRead = 1;
        rss = 100 * MiB;
      },
      rss: () => rss,
      heapUsed: () => 20 * MiB,
      busyShare: () => {
        const share = busySinceRead;
        busySinceRead = 0;
        return share;
      },
      checkEveryMs: 10_000,
      maxBusyShare: 0.05,
      minGrowthBytes: MiB,
      minIntervalMs: 0,
      settleCollections: 0,
      settleEveryMs: 2_000,
    });
    rss = 200 * MiB;
    assert.equal(compactor.check(), true);
    rss = 200 * MiB;
    assert.equal(compactor.check(), true, 'quiet since the pause');
  });
});

describe('processIdleCompactor', () => {
  /** Runs a Node process that makes and drops what a burst leaves, then looks once. */
  const afterGarbage = (nodeFlags: string[]) => {
    const module = (name: string) => JSON.stringify(join(import.meta.dirname, name));
    const script = `
      import { systemClock } from ${module('clock.ts')};
      import { processIdleCompactor } from ${module('idle-compactor.ts')};
      let report = null;
      const compactor = processIdleCompactor({ clock: systemClock, onCompacted: (r) => { report = r; }, thresholds: { maxBusyShare: 1, minGrowthBytes: 8 * 1024 * 1024, minIntervalMs: 0 } });
      let garbage = Array.from({ length: 300000 }, (_, i) => ({ i, name: 'pod-' + i, uid: String(i).padStart(36, '0') }));
      garbage = undefined;
      console.log(JSON.stringify({ exists: compactor !== undefined, compacted: compactor?.check() ?? false, report }));
    `;
    const r = spawnSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { exists: boolean; compacted: boolean; report: Compaction | null };
  };

  it('with --expose-gc: V8 takes the last-resort collection, and RSS falls', () => {
    const r = afterGarbage(['--expose-gc']);
    assert.equal(r.exists, true);
    assert.equal(r.compacted, true);
    assert.ok(r.report && r.report.rssAfter < r.report.rssBefore, JSON.stringify(r.report));
    // 300,000 dropped objects are about 30 MiB; a bare Node's live heap is a few MiB.
    assert.ok(r.report.heapUsedAfter > 0 && r.report.heapUsedAfter < 16 * MiB, `the garbage is gone from the heap: ${JSON.stringify(r.report)}`);
  });

  it('without it there is no compactor', () => {
    assert.deepEqual(afterGarbage([]), { exists: false, compacted: false, report: null });
  });
});
