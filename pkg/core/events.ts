/**
 * @module
 * An event as the core decides it: what it is about and what it says. The kube adapter writes it
 * (folding repeats, rate-limited); the core only names it.
 */

/** The object an event is about. */
export interface ObjectRef {
  kind: 'Pod' | 'Node' | 'ConfigMap';
  name: string;
  namespace?: string;
  uid?: string;
  apiVersion?: string;
}

export interface EventNote {
  type: 'Normal' | 'Warning';
  reason: string;
  /** Says what happened and what the user should do next. */
  message: string;
  action?: string;
}
