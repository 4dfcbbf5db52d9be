/**
 * @module
 * Gives memory back once a busy stretch is over. V8 keeps what a burst needed: the heap it grew and the
 * freed pages it pools for reuse. Nothing tells it that a Node process has gone idle, so after 4,000 pods on
 * 200 nodes the controller sat at rest 40-50 MiB above what it holds (docs/platform-notes.md, "Controller
 * memory"). When the event loop has been nearly idle for a whole check period and RSS has grown since the last
 * compaction, one last-resort collection (what V8 does under memory pressure) compacts the heap and returns
 * those pages. It stops the loop while it runs (80-110 ms at that size, 90-200 ms at 1,000 nodes and 20,000
 * pods), which is why it waits for quiet, and it runs at most once per `minIntervalMs`.
 *
 * Start-up leaves something growth never shows: the code that only ran while starting (module bodies, flag
 * parsing, the first sync). V8 drops a function's bytecode once it has survived 6 full collections without
 * running (`--bytecode-old-age`), and a quiet process goes minutes without one, so that code stays compiled.
 * The first `settleCollections` quiet looks, `settleEveryMs` apart, each collect whatever RSS did: with 4 nodes,
 * about 3 MiB of heap and 4-5 MiB of RSS for 40-50 ms pauses (docs/platform-notes.md, "Controller memory").
 */
import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from './clock.ts';

export interface IdleCompactorOptions {
  clock: Clock;
  /** A full, compacting collection; undefined where the runtime offers none (no --expose-gc, Deno): then nothing runs. */
  collect: (() => void) | undefined;
  /** Resident memory now, in bytes. */
  rss(): number;
  /** JavaScript heap in use now, in bytes: right after a compaction, what the process retains. */
  heapUsed(): number;
  /** The share of time (0-1) the event loop was busy since the previous call. */
  busyShare(): number;
  /** How often to look; the loop must have been quiet for the whole period. */
  checkEveryMs: number;
  /** Busier than this share of a period is not quiet. */
  maxBusyShare: number;
  /** RSS must have grown this much since the last compaction (or the start) to be worth a pause. */
  minGrowthBytes: number;
  minIntervalMs: number;
  /** Collections after start-up, whatever RSS did (see the module's comment); 0 for none. */
  settleCollections: number;
  /** How often to look while those remain. */
  settleEveryMs: number;
  onCompacted?(r: Compaction): void;
}

export interface Compaction {
  reason: 'settle' | 'growth';
  pauseMs: number;
  rssBefore: number;
  rssAfter: number;
  /** The heap in use right after the collection: live objects only, unlike a figure read at any other time. */
  heapUsedAfter: number;
}

export const IDLE_COMPACTION = { checkEveryMs: 10_000, maxBusyShare: 0.05, minGrowthBytes: 16 * 1024 * 1024, minIntervalMs: 60_000, settleCollections: 6, settleEveryMs: 2_000 } as const;

export class IdleCompactor {
  readonly #o: IdleCompactorOptions;
  #baseline: number;
  #lastAt = Number.NEGATIVE_INFINITY;
  #settled = 0;
  #timer: TimerHandle | undefined;

  constructor(o: IdleCompactorOptions) {
    this.#o = o;
    this.#baseline = o.rss();
    o.busyShare();
  }

  start(): void {
    if (!this.#o.collect || this.#timer) return;
    const tick = () => {
      this.check();
      this.#timer = this.#o.clock.after(this.#period(), tick);
    };
    this.#timer = this.#o.clock.after(this.#period(), tick);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /**
   * One look: compacts when the period was quiet and either start-up is still settling or RSS grew enough and
   * the last compaction is long enough ago. Returns whether it did.
   */
  check(): boolean {
    const { collect } = this.#o;
    const busy = this.#o.busyShare();
    const now = this.#o.clock.monotonic();
    const rss = this.#o.rss();
    // A process that shrank on its own (or is between bursts) resets the mark, so growth counts from its low point.
    if (rss < this.#baseline) this.#baseline = rss;
    if (!collect || busy > this.#o.maxBusyShare) return false;
    const settling = this.#settling();
    if (!settling && (rss < this.#baseline + this.#o.minGrowthBytes || now < this.#lastAt + this.#o.minIntervalMs)) return false;
    if (settling) this.#settled++;
    collect();
    const after = this.#o.clock.monotonic();
    this.#lastAt = after;
    const rssAfter = this.#o.rss();
    this.#baseline = rssAfter;
    // The next period starts after the pause, which would otherwise count as busy time in it.
    this.#o.busyShare();
    this.#o.onCompacted?.({ reason: settling ? 'settle' : 'growth', pauseMs: after - now, rssBefore: rss, rssAfter, heapUsedAfter: this.#o.heapUsed() });
    return true;
  }

  #settling(): boolean {
    return this.#settled < this.#o.settleCollections;
  }

  #period(): number {
    return this.#settling() ? this.#o.settleEveryMs : this.#o.checkEveryMs;
  }
}

type V8Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * The compactor on this process: V8's gc() where `--expose-gc` gave it (the image's Node flags,
 * pkg/manifests/node-runtime.ts), RSS, and the event loop's utilization. Undefined without gc().
 */
export function processIdleCompactor(o: { clock: Clock; onCompacted?: IdleCompactorOptions['onCompacted']; thresholds?: Partial<typeof IDLE_COMPACTION> }): IdleCompactor | undefined {
  const gc = (globalThis as { gc?: V8Gc }).gc;
  if (typeof gc !== 'function') return undefined;
  let last = performance.eventLoopUtilization();
  return new IdleCompactor({
    ...IDLE_COMPACTION,
    ...o.thresholds,
    clock: o.clock,
    collect: () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }),
    rss: () => process.memoryUsage.rss(),
    heapUsed: () => process.memoryUsage().heapUsed,
    busyShare: () => {
      const now = performance.eventLoopUtilization();
      const share = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      return share;
    },
    ...(o.onCompacted ? { onCompacted: o.onCompacted } : {}),
  });
}
