/**
 * @module
 * The reflector's decisions as a pure state machine: given what just happened (a list answered or
 * failed, a watch ended and how, a wait ran out, stop), what to do next (list, watch, wait, replace
 * the cache, say the cache is synced, log). No I/O, no clock: the time and the random draw a step
 * may need come in with the event, so every transition is tested by hand (reflector-machine.test.ts).
 * reflector.ts is the shell that carries the actions out against client-node.
 *
 * The rules (client-go's reflector, plus recovery from every error, which client-node's informer lacks):
 * - a list that fails is retried after a backoff; one that succeeds replaces the cache, and a watch
 *   starts from its resourceVersion;
 * - a watch that closes cleanly (or by client-node's inactivity timeout) is restarted from the last
 *   resourceVersion at once, unless it was not healthy (delivered nothing and lasted less than
 *   `minHealthyWatchMs`), when it is restarted after a backoff: a server closing every watch at once
 *   must not be hammered;
 * - 410 Gone (the resourceVersion expired) relists at once;
 * - any other watch error relists after a backoff; a healthy watch forgets earlier failures first;
 * - the backoff doubles per failure from `initialMs` up to `maxMs`, each wait drawn from its upper half.
 */

export interface ReflectorTiming {
  backoff: { initialMs: number; maxMs: number };
  /** A watch that ends sooner than this without delivering anything counts as a failure. */
  minHealthyWatchMs: number;
}

export const DEFAULT_REFLECTOR_TIMING: ReflectorTiming = { backoff: { initialMs: 500, maxMs: 30_000 }, minHealthyWatchMs: 1_000 };

/** How a watch ended, as the shell read it off client-node. */
export type WatchEnd =
  | { kind: 'closed'; delivered: boolean }
  | { kind: 'gone' }
  | { kind: 'error'; error: unknown; delivered: boolean };

export type ReflectorState =
  | { phase: 'idle' }
  | { phase: 'listing'; failures: number; synced: boolean }
  | { phase: 'watching'; failures: number; synced: boolean; startedAt: number }
  | { phase: 'waiting'; failures: number; synced: boolean; then: 'list' | 'watch' }
  | { phase: 'stopped'; synced: boolean };

export type ReflectorEvent =
  | { type: 'start' }
  | { type: 'listed' }
  | { type: 'list-failed'; error: unknown }
  | { type: 'watch-ended'; end: WatchEnd }
  | { type: 'wait-over' }
  | { type: 'stop' };

export type ReflectorAction =
  | { type: 'list' }
  /** Make the cache exactly what the list returned (objects missing from it were deleted meanwhile). */
  | { type: 'replace-cache' }
  /** The first list has been applied. */
  | { type: 'announce-synced' }
  | { type: 'watch'; timeoutSeconds: number }
  | { type: 'wait'; ms: number }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; msg: string; fields?: Record<string, unknown> };

import type { StepInputs } from '../../support/state-machine.ts';

export interface Step {
  state: ReflectorState;
  actions: ReflectorAction[];
}

export const INITIAL_REFLECTOR_STATE: ReflectorState = { phase: 'idle' };

/** Whether the cache has been filled by a list at least once (it stays so across relists). */
export function isSynced(state: ReflectorState): boolean {
  return state.phase !== 'idle' && state.synced;
}

export function stepReflector(state: ReflectorState, event: ReflectorEvent, input: StepInputs, timing: ReflectorTiming = DEFAULT_REFLECTOR_TIMING): Step {
  if (event.type === 'stop') return { state: { phase: 'stopped', synced: isSynced(state) }, actions: [] };
  switch (state.phase) {
    case 'idle':
      return event.type === 'start' ? { state: { phase: 'listing', failures: 0, synced: false }, actions: [{ type: 'list' }] } : ignore(state);
    case 'stopped':
      return ignore(state);
    case 'listing':
      if (event.type === 'listed') {
        return {
          state: { phase: 'watching', failures: state.failures, synced: true, startedAt: input.now },
          actions: [{ type: 'replace-cache' }, ...(state.synced ? [] : [{ type: 'announce-synced' } as const]), watch(input)],
        };
      }
      if (event.type === 'list-failed') {
        return backOff(state.failures, state.synced, 'list', input, timing, [
          { type: 'log', level: 'warn', msg: 'list failed; retrying with backoff', fields: { err: event.error, failures: state.failures } },
        ]);
      }
      return ignore(state);
    case 'watching': {
      if (event.type !== 'watch-ended') return ignore(state);
      const end = event.end;
      if (end.kind === 'gone') {
        return {
          state: { phase: 'listing', failures: state.failures, synced: state.synced },
          actions: [{ type: 'log', level: 'info', msg: 'watch resourceVersion expired (410); relisting' }, { type: 'list' }],
        };
      }
      const healthy = end.delivered || input.now - state.startedAt >= timing.minHealthyWatchMs;
      if (end.kind === 'closed') {
        if (healthy) return { state: { ...state, failures: 0, startedAt: input.now }, actions: [watch(input)] };
        return backOff(state.failures, state.synced, 'watch', input, timing, [
          { type: 'log', level: 'debug', msg: 'watch closed at once; backing off before rewatch', fields: { failures: state.failures } },
        ]);
      }
      return backOff(healthy ? 0 : state.failures, state.synced, 'list', input, timing, [
        { type: 'log', level: 'warn', msg: 'watch failed; relisting after backoff', fields: { err: end.error, failures: state.failures } },
      ]);
    }
    case 'waiting':
      if (event.type !== 'wait-over') return ignore(state);
      if (state.then === 'list') return { state: { phase: 'listing', failures: state.failures, synced: state.synced }, actions: [{ type: 'list' }] };
      return { state: { phase: 'watching', failures: state.failures, synced: state.synced, startedAt: input.now }, actions: [watch(input)] };
  }
}

/** The wait after the `failures`-th failure in a row: from the upper half of min(max, initial * 2^failures). */
export function backoffMs(failures: number, random: number, timing: ReflectorTiming = DEFAULT_REFLECTOR_TIMING): number {
  const base = Math.min(timing.backoff.maxMs, timing.backoff.initialMs * 2 ** Math.min(failures, 20));
  return base / 2 + random * (base / 2);
}

/**
 * Rotate long-lived watches like client-go does (5-10 min), so a load balancer or an API server
 * restart never leaves the cache on a half-dead connection for long.
 */
export function watchTimeoutSeconds(random: number): number {
  return 300 + Math.floor(random * 300);
}

function watch(input: StepInputs): ReflectorAction {
  return { type: 'watch', timeoutSeconds: watchTimeoutSeconds(input.random) };
}

function backOff(failures: number, synced: boolean, then: 'list' | 'watch', input: StepInputs, timing: ReflectorTiming, before: ReflectorAction[]): Step {
  return {
    state: { phase: 'waiting', failures: failures + 1, synced, then },
    actions: [...before, { type: 'wait', ms: backoffMs(failures, input.random, timing) }],
  };
}

function ignore(state: ReflectorState): Step {
  return { state, actions: [] };
}
