/**
 * @module
 * Which caller made which EC2 call, and when the simulator acted on it: lets a test see, for example,
 * that no call of a deposed leader landed after the new leader's first. The caller is the access key id
 * from the request's SigV4 Authorization header ("Credential=AKID/date/region/ec2/aws4_request"), so two
 * processes given different keys are told apart exactly as AWS's CloudTrail would.
 */

export interface JournalEntry {
  /** When the simulator acted on the call (ms since the epoch). */
  at: number;
  action: string;
  /** The access key id that signed it, or "" when unsigned. */
  caller: string;
  outcome: 'ok' | 'error' | 'throttled' | 'failed';
}

/** The newest entries are kept; a long benchmark does not grow memory without bound. */
const MAX_ENTRIES = 50_000;

export class Journal {
  #entries: JournalEntry[] = [];

  record(entry: JournalEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > MAX_ENTRIES) this.#entries.splice(0, this.#entries.length - MAX_ENTRIES);
  }

  entries(): JournalEntry[] {
    return [...this.#entries];
  }

  clear(): void {
    this.#entries = [];
  }
}

/** The access key id in a SigV4 Authorization header, or "". */
export function callerOf(authorization: string | undefined): string {
  const m = /Credential=([^/,\s]+)\//.exec(authorization ?? '');
  return m ? m[1]! : '';
}
