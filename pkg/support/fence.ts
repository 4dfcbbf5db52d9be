/**
 * @module
 * Whether this replica may write now, as one small capability shared by the Kubernetes and EC2
 * adapters (checked at the last moment before a request leaves) and the controller (checked before
 * it starts work). docs/controller.md, "Leadership", gives the timing argument.
 */

/** Thrown by a fenced write; the reconciler treats it as "stop", not as a failure worth a warning. */
export class NotLeadingError extends Error {
  readonly code = 'WINPREFIX_NOT_LEADING';
  constructor(what: string) {
    super(`${what} not written: this replica no longer leads`);
    this.name = 'NotLeadingError';
  }
}

/** A NotLeadingError, or an error caused by one (fetch wraps a refused request in TypeError("fetch failed")). */
export function isNotLeading(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof NotLeadingError) return true;
  }
  return false;
}

/**
 * Whether this replica may write now. The leader election's answer is the Lease it last renewed
 * being valid by this process's own monotonic clock (client-go's rule), so a replica paused past its
 * Lease (SIGSTOP, a long GC, a frozen VM) refuses the moment it runs again.
 */
export interface WriteFence {
  allowed(): boolean;
  /** Throws NotLeadingError naming `what` when writing is not allowed. */
  check(what: string): void;
}

export const ALWAYS_ALLOWED: WriteFence = { allowed: () => true, check: () => {} };

export function fenceOf(allowed: () => boolean): WriteFence {
  return {
    allowed,
    check(what) {
      if (!allowed()) throw new NotLeadingError(what);
    },
  };
}

/** Both must allow. */
export function bothFences(a: WriteFence, b: WriteFence): WriteFence {
  return fenceOf(() => a.allowed() && b.allowed());
}

