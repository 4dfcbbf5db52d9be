/**
 * @module
 * Leader election's decisions as a pure state machine: when to try for the Lease, when to renew, when
 * leadership is lost, how a replica steps down, and whether it may write at a given moment. No I/O and
 * no clock: each event carries the monotonic time it happened at and one random draw, so every
 * transition is tested by hand (leader-election-machine.test.ts). leader-election.ts is the shell that
 * reads and writes the Lease, keeps the timers and calls back.
 *
 * The rules (client-go's, docs/controller.md "Leadership"):
 * - a candidate tries every retry period (jittered by up to 20 %) until an attempt takes the Lease;
 * - a leader renews every retry period. Its Lease is valid, by its own monotonic clock, from the moment
 *   the last successful attempt was *sent*, for the renew deadline: a pause past that (SIGSTOP, a frozen
 *   VM) is noticed before any renew attempt, and a renewal that does not come back in time loses it;
 * - lost: writes stop at once, the leader's work is told to stop, and what it started drains (the
 *   caller's `beforeRelease`); nothing is released, the Lease simply expires;
 * - told to stop: the work is told to stop and drains while the Lease, still valid, keeps its writes
 *   allowed; only then is the Lease released (if asked), so the next leader never acts while one of
 *   our writes can still land. An attempt in flight when the stop comes is let finish first.
 */
import type { StepInputs } from '../../support/state-machine.ts';


export interface ElectionTiming {
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** Give the Lease back on stop, so the next replica need not wait for it to expire. */
  releaseOnCancel: boolean;
}

export type StepDownReason = 'stopped' | 'lost';

export type ElectionState =
  /** Before start. */
  | { phase: 'idle' }
  /** An attempt to take the Lease is in flight; `cancelled` once told to stop meanwhile. */
  | { phase: 'acquiring'; sentAt: number; cancelled: boolean }
  /** Between attempts to take the Lease. */
  | { phase: 'candidate' }
  /**
   * Holding the Lease, valid from `validFrom` (when the last successful attempt was sent) for the
   * renew deadline. `renewSentAt` while a renewal is in flight; `cancelled` once told to stop while it is.
   */
  | { phase: 'leading'; validFrom: number; renewSentAt: number | undefined; cancelled: boolean }
  /** The leader's work is draining; when `reason` is 'stopped' the Lease is still ours until `validFrom` + deadline. */
  | { phase: 'stepping-down'; reason: StepDownReason; validFrom: number }
  /** Giving the Lease back; `led` says whether this replica ever started leading. */
  | { phase: 'releasing'; led: boolean }
  | { phase: 'done' };

export type ElectionEvent =
  | { type: 'start' }
  /** The attempt in flight answered: true when this replica holds the Lease afterwards. */
  | { type: 'attempt-done'; acquired: boolean }
  /** The retry-period wait ran out. */
  | { type: 'wait-over' }
  /** The renew deadline of the renewal in flight may have come. */
  | { type: 'deadline' }
  | { type: 'cancel' }
  | { type: 'drained' }
  | { type: 'released' };

export type ElectionAction =
  /** Read the Lease if needed and take or renew it. */
  | { type: 'attempt' }
  | { type: 'wait'; ms: number }
  /** Raise a `deadline` event after `ms`. */
  | { type: 'deadline-after'; ms: number }
  /** Call onStartedLeading with a fresh leadership signal and the fence. */
  | { type: 'start-leading' }
  /** Abort the leadership signal: the leader's work stops. */
  | { type: 'end-leading' }
  /** Await the caller's beforeRelease: the work started while leading finishing. */
  | { type: 'drain' }
  | { type: 'release' }
  | { type: 'notify-stopped' }
  /** runLeaderElection resolves. */
  | { type: 'finish' }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; msg: string; fields?: Record<string, unknown> };

export interface ElectionStep {
  state: ElectionState;
  actions: ElectionAction[];
}

export const INITIAL_ELECTION_STATE: ElectionState = { phase: 'idle' };

/**
 * Whether this replica may write at `now`: while it leads, or steps down because it was told to stop,
 * and the Lease it last renewed is still valid by its own clock. Once lost, never.
 */
export function mayWrite(state: ElectionState, now: number, renewDeadlineMs: number): boolean {
  if (state.phase === 'leading') return now < state.validFrom + renewDeadlineMs;
  if (state.phase === 'stepping-down') return state.reason === 'stopped' && now < state.validFrom + renewDeadlineMs;
  return false;
}

/** A candidate's wait between attempts: the retry period plus up to 20 %, so candidates do not collide. */
export function candidateWaitMs(retryPeriodMs: number, random: number): number {
  return retryPeriodMs + random * retryPeriodMs * 0.2;
}

export function stepElection(state: ElectionState, event: ElectionEvent, input: StepInputs, timing: ElectionTiming): ElectionStep {
  switch (state.phase) {
    case 'idle':
      if (event.type === 'start') return { state: { phase: 'acquiring', sentAt: input.now, cancelled: false }, actions: [{ type: 'attempt' }] };
      if (event.type === 'cancel') return { state: { phase: 'done' }, actions: [{ type: 'finish' }] };
      return ignore(state);

    case 'acquiring':
      if (event.type === 'cancel') return { state: { ...state, cancelled: true }, actions: [] };
      if (event.type !== 'attempt-done') return ignore(state);
      if (state.cancelled) {
        // Cancelled while the attempt that took the Lease was in flight: this replica will never lead,
        // so it gives the Lease back, or the next replica waits a whole lease duration for nobody.
        if (event.acquired && timing.releaseOnCancel) return { state: { phase: 'releasing', led: false }, actions: [{ type: 'release' }] };
        return { state: { phase: 'done' }, actions: [{ type: 'finish' }] };
      }
      if (!event.acquired) return { state: { phase: 'candidate' }, actions: [{ type: 'wait', ms: candidateWaitMs(timing.retryPeriodMs, input.random) }] };
      return {
        state: { phase: 'leading', validFrom: state.sentAt, renewSentAt: undefined, cancelled: false },
        actions: [{ type: 'log', level: 'info', msg: 'started leading' }, { type: 'start-leading' }, { type: 'wait', ms: timing.retryPeriodMs }],
      };

    case 'candidate':
      if (event.type === 'cancel') return { state: { phase: 'done' }, actions: [{ type: 'finish' }] };
      if (event.type === 'wait-over') return { state: { phase: 'acquiring', sentAt: input.now, cancelled: false }, actions: [{ type: 'attempt' }] };
      return ignore(state);

    case 'leading':
      return stepLeading(state, event, input, timing);

    case 'stepping-down':
      if (event.type !== 'drained') return ignore(state);
      if (state.reason === 'stopped' && timing.releaseOnCancel) return { state: { phase: 'releasing', led: true }, actions: [{ type: 'release' }] };
      return stopped();

    case 'releasing':
      if (event.type !== 'released') return ignore(state);
      return state.led ? stopped() : { state: { phase: 'done' }, actions: [{ type: 'finish' }] };

    case 'done':
      return ignore(state);
  }
}

function stepLeading(state: Extract<ElectionState, { phase: 'leading' }>, event: ElectionEvent, input: StepInputs, timing: ElectionTiming): ElectionStep {
  const expiresAt = state.validFrom + timing.renewDeadlineMs;
  const renewing = state.renewSentAt !== undefined;
  switch (event.type) {
    case 'cancel':
      // A renewal in flight is let finish (its answer may move the Lease on), then the replica steps down.
      if (renewing) return { state: { ...state, cancelled: true }, actions: [] };
      return stepDown(state.validFrom, 'stopped');

    case 'wait-over':
      if (renewing) return ignore(state);
      // Checked before any attempt: a process paused past its deadline must not write even once more.
      if (input.now >= expiresAt) {
        return stepDown(state.validFrom, 'lost', 'lost leadership: the Lease may have lapsed while this process was not running', { renewDeadlineMs: timing.renewDeadlineMs });
      }
      return {
        state: { ...state, renewSentAt: input.now },
        actions: [{ type: 'attempt' }, { type: 'deadline-after', ms: expiresAt - input.now }],
      };

    case 'attempt-done': {
      if (!renewing) return ignore(state);
      if (event.acquired && input.now < expiresAt) {
        const renewed = { ...state, validFrom: state.renewSentAt!, renewSentAt: undefined };
        return state.cancelled ? stepDown(renewed.validFrom, 'stopped') : { state: renewed, actions: [{ type: 'wait', ms: timing.retryPeriodMs }] };
      }
      if (input.now >= expiresAt) return renewalTooLate(state, timing);
      // Refused or failed, with time left: try again after the retry period.
      if (state.cancelled) return stepDown(state.validFrom, 'stopped');
      return { state: { ...state, renewSentAt: undefined }, actions: [{ type: 'wait', ms: timing.retryPeriodMs }] };
    }

    case 'deadline':
      if (!renewing) return ignore(state);
      // A timer may fire a hair before the monotonic clock reaches the deadline: wait for the rest.
      if (input.now < expiresAt) return { state, actions: [{ type: 'deadline-after', ms: expiresAt - input.now }] };
      return renewalTooLate(state, timing);

    default:
      return ignore(state);
  }
}

function renewalTooLate(state: Extract<ElectionState, { phase: 'leading' }>, timing: ElectionTiming): ElectionStep {
  // Told to stop meanwhile: it steps down as stopped; the fence still checks the (lapsed) validity.
  if (state.cancelled) return stepDown(state.validFrom, 'stopped');
  return stepDown(state.validFrom, 'lost', 'lost leadership: could not renew within the renew deadline', { renewDeadlineMs: timing.renewDeadlineMs });
}

function stepDown(validFrom: number, reason: StepDownReason, why?: string, fields?: Record<string, unknown>): ElectionStep {
  return {
    state: { phase: 'stepping-down', reason, validFrom },
    actions: [...(why ? [{ type: 'log', level: 'warn', msg: why, ...(fields ? { fields } : {}) } as const] : []), { type: 'end-leading' }, { type: 'drain' }],
  };
}

function stopped(): ElectionStep {
  return { state: { phase: 'done' }, actions: [{ type: 'log', level: 'info', msg: 'stopped leading' }, { type: 'notify-stopped' }, { type: 'finish' }] };
}

function ignore(state: ElectionState): ElectionStep {
  return { state, actions: [] };
}
