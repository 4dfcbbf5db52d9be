/**
 * @module
 * Drives a pure state machine (state + event -> state + actions) from the I/O shell around it: each
 * event is stepped with the monotonic time and one random draw from the Clock, the new state is kept,
 * and the actions are carried out in order. The reflector and the leader election are built this way:
 * their machines decide and are tested alone; their shells only perform.
 */
import type { Clock } from './clock.ts';

/** What a step reads besides the state and the event. */
export interface StepInputs {
  /** Monotonic time of the event. */
  now: number;
  /** One draw in [0, 1), for jitter. */
  random: number;
}

export interface MachineDriver<S, E> {
  dispatch(event: E): void;
  state(): S;
}

export function driveMachine<S, E, A>(o: {
  initial: S;
  step: (state: S, event: E, inputs: StepInputs) => { state: S; actions: readonly A[] };
  clock: Pick<Clock, 'monotonic' | 'random'>;
  perform: (action: A) => void;
}): MachineDriver<S, E> {
  let state = o.initial;
  return {
    dispatch(event) {
      const next = o.step(state, event, { now: o.clock.monotonic(), random: o.clock.random() });
      state = next.state;
      // An action may dispatch again (a callback answering at once): that step sees the state just set.
      for (const action of next.actions) o.perform(action);
    },
    state: () => state,
  };
}
