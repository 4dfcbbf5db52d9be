/**
 * @module
 * Why a pod got no address, as a reason code, one sentence that says what happens next or what
 * to do, and when to retry. Checked in order: the node is full; the pool is re-reading the ENI;
 * EC2 refused a new prefix or slot lately; every free address is cooling and no slot is left;
 * otherwise addresses are on their way.
 */
import type { EniLedger } from './ledger.ts';
import type { AssignFailureReason, AssignResult, Mode } from './types.ts';

/** A pause on creating addresses after EC2 refused: InsufficientCidrBlocks, or a full ENI or subnet (address-limit-exceeded). */
export interface CreateBackoff {
  until: number;
  reason: 'insufficient-cidr-blocks' | 'address-limit-exceeded';
}

export interface NoAddressContext {
  ledger: EniLedger;
  mode: Mode;
  /** Pods holding an address, including vanished ones. */
  held: number;
  deliverable: number;
  /** The subnet gave no new prefix lately, so `deliverable` is what the attached prefixes hold. */
  prefixesExhausted: boolean;
  /** Set while a re-sync is needed: the message of the failure that caused it, if any. */
  resyncAfter: { message: string | undefined } | undefined;
  /** Only a backoff still in force. */
  backoff: CreateBackoff | undefined;
  creating: boolean;
  coolDownMs: number;
  resyncRetryMs: number;
  warmPoolRetryMs: number;
  now: number;
}

export type AssignFailure = Extract<AssignResult, { ok: false }>;

const seconds = (ms: number) => `${Math.ceil(ms / 1000)} s`;

function failure(reason: AssignFailureReason, message: string, retryAfterMs: number): AssignFailure {
  return { ok: false, reason, message, retryAfterMs: Math.max(Math.ceil(retryAfterMs), 1) };
}

function firstCoolingEnds(ctx: NoAddressContext): number {
  const { ledger, now } = ctx;
  let first = Number.POSITIVE_INFINITY;
  const consider = (at: number | undefined) => {
    if (at !== undefined && at < first) first = at;
  };
  if (ctx.mode === 'prefix') {
    for (const p of ledger.prefixes()) if (!p.releasing) for (const c of p.cells) consider(ledger.coolsAt(c, now));
  } else {
    for (const s of ledger.secondaries()) if (!s.releasing) consider(ledger.coolsAt(s.cell, now));
  }
  return first;
}

function heldElsewhere(ctx: NoAddressContext): number {
  let n = 0;
  for (const p of ctx.ledger.prefixes()) for (const c of p.cells) if (c.heldElsewhere !== undefined && c.owner === undefined) n++;
  for (const s of ctx.ledger.secondaries()) if (s.cell.heldElsewhere !== undefined && s.cell.owner === undefined) n++;
  return n;
}

export function explainNoAddress(ctx: NoAddressContext): AssignFailure {
  const { now, mode } = ctx;
  // A node held to its attached prefixes is short of a prefix, not full: say why and what to do.
  if (ctx.held >= ctx.deliverable && !ctx.prefixesExhausted) {
    return failure('at-capacity', `the node can hold ${ctx.deliverable} pods with an address and ${ctx.held} hold one; the pod gets an address when another pod on this node finishes`, ctx.coolDownMs);
  }
  if (ctx.resyncAfter) {
    const why = ctx.resyncAfter.message ? ` after "${ctx.resyncAfter.message}"` : '';
    return failure('resyncing', `the pool is re-reading the node's ENI from EC2${why}; the pod gets an address once that is done`, ctx.resyncRetryMs);
  }
  const coolWait = firstCoolingEnds(ctx) - now;
  const backoff = ctx.backoff;
  if ((backoff?.reason === 'insufficient-cidr-blocks' || ctx.prefixesExhausted) && mode === 'prefix') {
    const wait = Math.max(Math.min((backoff?.until ?? now) - now, coolWait), ctx.warmPoolRetryMs);
    return failure('insufficient-cidr-blocks', `the subnet has no free aligned /28 block for a new prefix (EC2 InsufficientCidrBlocks); free addresses in the subnet or reserve room for prefixes with a subnet CIDR reservation of type prefix (aws ec2 create-subnet-cidr-reservation --reservation-type prefix); retrying in ${seconds(wait)}`, wait);
  }
  if (backoff?.reason === 'address-limit-exceeded') {
    const wait = Math.min(backoff.until - now, coolWait);
    // Both EC2 codes of this kind land here; name each with what to do about it.
    return failure('address-limit-exceeded', `EC2 refused another address: either the primary ENI has no free slot although winprefix counted one (PrivateIpAddressLimitExceeded; check that no other tool assigns addresses to this ENI) or the subnet has no free address left (InsufficientFreeAddressesInSubnet; free addresses in the subnet); retrying in ${seconds(wait)}`, wait);
  }
  // Nothing is being created, so no slot is pending.
  if (!ctx.creating && ctx.ledger.freeSlots(0) === 0 && !Number.isFinite(coolWait) && heldElsewhere(ctx) > 0) {
    return failure('held-elsewhere', `the ${heldElsewhere(ctx)} addresses this node could use are still carried by running pods on other nodes (EC2 moved their block to this node) and no slot is left for a new ${mode === 'prefix' ? 'prefix' : 'IP'}; the pod gets one when those pods are deleted (their events say why they should be)`, ctx.coolDownMs);
  }
  if (!ctx.creating && ctx.ledger.freeSlots(0) === 0 && Number.isFinite(coolWait)) {
    return failure('cooling-down', `every free address on this node is cooling down after its pod finished and no slot is left for a new ${mode === 'prefix' ? 'prefix' : 'IP'}; retrying when the first one is ready in ${seconds(coolWait)}`, coolWait);
  }
  return failure('warm-pool-empty', `no free address yet: winprefix is asking EC2 for more ${mode === 'prefix' ? 'prefixes' : 'secondary IPs'}; retrying in ${seconds(ctx.warmPoolRetryMs)}`, ctx.warmPoolRetryMs);
}
