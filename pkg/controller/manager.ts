/**
 * @module
 * Runs the controller's components (controller-runtime's Manager, Runnable and runnable groups): each
 * component is a Runnable that says whether it needs the Lease. Order is declared, not written as
 * control flow: components start in the order they were added and stop in the reverse order.
 *
 * - Every replica runs the components that do not need the Lease (connections, caches, the webhook
 *   server, probes, metrics), from start until told to stop.
 * - Only the leader runs the others (the IPAM reconcilers, and what must flush behind them), after the
 *   takeover delay, with the leader's write fence; they stop, in reverse order, when the Lease is lost or
 *   the process is told to stop, and only once they have all stopped is the Lease released
 *   (docs/controller.md, "Leadership").
 * - `fence` is the process's write fence: closed until this replica leads, then the leader election's
 *   (always open without leader election). Clients that write are built with it before anything runs.
 */
import type { Clock } from '../support/clock.ts';
import { ALWAYS_ALLOWED, fenceOf, type WriteFence } from '../support/fence.ts';
import type { Logger } from '../support/log.ts';

export interface Runnable {
  /** For logs: what this component is. */
  readonly name: string;
  /** True for work only the Lease holder may do (reconcilers); false for what every replica serves (webhooks, probes, caches). */
  readonly needsLeaderElection: boolean;
  /**
   * Runs until `signal` aborts and resolves once stopped. Calls `ctx.up()` once it serves (a listener
   * bound, a cache started): the next component starts only then. Rejecting before `up` fails the start.
   */
  start(signal: AbortSignal, ctx: RunContext): Promise<void>;
}

export interface RunContext {
  /** The leader's write fence for components that need the Lease; always open for the others. */
  fence: WriteFence;
  up(): void;
}

/** The leader election as the manager drives it (leader-election.ts's runLeaderElection, with its clients and timing bound). */
export type Elect = (hooks: {
  signal: AbortSignal;
  onStartedLeading(signal: AbortSignal, fence: WriteFence): void;
  beforeRelease(): Promise<void>;
  onStoppedLeading(): void;
}) => Promise<void>;

export interface ManagerOptions {
  log: Logger;
  clock: Pick<Clock, 'sleep'>;
  /** Undefined: no leader election; this replica leads from the start and its writes are never fenced. */
  elect: Elect | undefined;
  /** How long a new leader waits before starting the components that need the Lease. */
  takeoverDelayMs: number;
  /** Told when this replica starts and stops leading (metrics, readiness text). */
  onLeadership?(leading: boolean): void;
}

/** Why `run` returned. */
export type RunEnd = 'stopped' | 'lost-leadership';

/** A component with nothing to start that only has something to do on stop (close a client, flush). */
export function onStop(name: string, close: () => Promise<void> | void, o: { needsLeaderElection?: boolean } = {}): Runnable {
  return serving(name, async () => ({ close: async () => close() }), o);
}

/**
 * A component that starts something and closes it on stop: a listener (up once it listens), or
 * nothing at all when `start` resolves undefined (a listener turned off by its flag).
 */
export function serving(name: string, start: () => Promise<{ close(): Promise<void> } | undefined>, o: { needsLeaderElection?: boolean } = {}): Runnable {
  return {
    name,
    needsLeaderElection: o.needsLeaderElection ?? false,
    async start(signal, ctx) {
      const server = await start();
      ctx.up();
      await aborted(signal);
      await server?.close();
    },
  };
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

interface Started {
  name: string;
  /** Tells the component to stop; resolves once it has. */
  stop(): Promise<void>;
}

export class Manager {
  readonly #o: ManagerOptions;
  readonly #runnables: Runnable[] = [];
  /** Until this replica leads (with leader election), every fenced write is refused. */
  #leaderFence: WriteFence;
  /** The process's write fence: what the leader election grants, read at each write. */
  readonly fence: WriteFence;

  constructor(o: ManagerOptions) {
    this.#o = o;
    this.#leaderFence = o.elect ? fenceOf(() => false) : ALWAYS_ALLOWED;
    this.fence = fenceOf(() => this.#leaderFence.allowed());
  }

  /** Adds a component; components start in the order added and stop in reverse. */
  add(runnable: Runnable): this {
    this.#runnables.push(runnable);
    return this;
  }

  /**
   * Starts every replica's components, then leads (or tries to) until `signal` aborts or the Lease is
   * lost; stops everything in reverse order before it resolves. Rejects when a component cannot start, or when
   * one of the leader's components fails to start or crashes (after giving the Lease up).
   */
  async run(signal: AbortSignal): Promise<RunEnd> {
    const everyReplica = this.#runnables.filter((r) => !r.needsLeaderElection);
    const started: Started[] = [];
    // A leader whose reconcilers cannot start, or crash, must not sit on the Lease doing nothing: the run ends
    // (the Lease released after the drain, so another replica takes over) and rejects with the cause.
    const failed = new AbortController();
    let failure: unknown;
    const fail = (err: unknown) => {
      if (failed.signal.aborted) return;
      failure = err;
      failed.abort();
    };
    const until = AbortSignal.any([signal, failed.signal]);
    try {
      for (const r of everyReplica) started.push(await this.#start(r, ALWAYS_ALLOWED));
      const elect = this.#o.elect;
      if (!elect) {
        const leading = this.#lead(ALWAYS_ALLOWED, undefined, until, fail);
        await aborted(until);
        await leading;
        if (failed.signal.aborted) throw failure;
        return 'stopped';
      }
      let leading: Promise<void> | undefined;
      await elect({
        signal: until,
        onStartedLeading: (leaderSignal, fence) => {
          leading = this.#lead(fence, leaderSignal, until, fail);
        },
        // The leader's components stop on the leadership signal and drain what they have in flight;
        // the Lease is released only after that.
        beforeRelease: async () => {
          await leading;
        },
        onStoppedLeading: () => this.#o.onLeadership?.(false),
      });
      await leading;
      if (failed.signal.aborted) throw failure;
      return signal.aborted ? 'stopped' : 'lost-leadership';
    } finally {
      for (const s of started.reverse()) await s.stop();
    }
  }

  /** Starts one component and resolves once it is up; rejects if it fails or ends before. */
  async #start(r: Runnable, fence: WriteFence, onCrash?: (err: unknown) => void): Promise<Started> {
    const log = this.#o.log;
    const signal = new AbortController();
    let isUp = false;
    let up: () => void = () => {};
    const upNow = new Promise<void>((resolve) => (up = resolve));
    const done = r.start(signal.signal, { fence, up: () => ((isUp = true), up()) }).then(
      () => {
        if (!signal.signal.aborted) log.error(`${r.name} stopped on its own; this is a bug`);
      },
      (err: unknown) => {
        // Before it is up, the failure is the start's; after, it is logged and the rest runs on.
        if (!isUp) throw err;
        if (signal.signal.aborted) log.warn(`${r.name} did not stop cleanly`, { error: err });
        else {
          log.error(`${r.name} crashed`, { error: err });
          onCrash?.(err);
        }
      },
    );
    await Promise.race([upNow, done.then(() => Promise.reject(new Error(`${r.name} ended before it was up`)))]);
    log.debug('component started', { component: r.name });
    return {
      name: r.name,
      stop: async () => {
        signal.abort();
        await done;
      },
    };
  }

  /**
   * The leader's components, after the takeover delay, until leadership ends or the process stops;
   * resolves once they have all stopped (in reverse order).
   */
  async #lead(fence: WriteFence, leaderSignal: AbortSignal | undefined, stop: AbortSignal, fail: (err: unknown) => void): Promise<void> {
    this.#leaderFence = fence;
    this.#o.onLeadership?.(true);
    const until = leaderSignal ? AbortSignal.any([leaderSignal, stop]) : stop;
    const delay = this.#o.takeoverDelayMs;
    if (delay > 0) {
      this.#o.log.info('waiting before acting, so no EC2 call of the previous leader can still land', { ms: delay });
      await this.#o.clock.sleep(delay, until);
    }
    const started: Started[] = [];
    try {
      for (const r of this.#runnables.filter((x) => x.needsLeaderElection)) {
        if (until.aborted) break;
        started.push(await this.#start(r, fence, fail));
      }
      await aborted(until);
    } catch (err) {
      this.#o.log.error('a component of the leader could not start; giving up the Lease', { error: err });
      fail(err);
    } finally {
      for (const s of started.reverse()) await s.stop();
    }
  }
}
