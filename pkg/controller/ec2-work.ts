/**
 * @module
 * Performs one Ec2Request the pool asked for, on the node's primary ENI, and turns whatever EC2
 * answered into the Ec2Outcome the pool understands. Errors are classified by Ec2Error kind
 * (EC2's code), never by message text.
 */
import { Ec2AssignmentNotVisibleError, isEc2Error } from '../core/ec2/errors.ts';
import type { Ec2Port } from '../core/ec2/port.ts';
import type { Ec2Outcome, Ec2Request } from '../core/ipam/types.ts';

/** The EC2 calls pool work needs, and nothing else. */
export type PoolEc2Port = Pick<Ec2Port, 'assignPrefixes' | 'assignSecondaryIps' | 'unassignPrefixes' | 'unassignSecondaryIps' | 'describeInterface'>;

export async function performEc2Request(ec2: PoolEc2Port, eniId: string, request: Ec2Request): Promise<Ec2Outcome> {
  try {
    switch (request.kind) {
      case 'assign-prefixes':
        return { ok: true, addresses: await ec2.assignPrefixes(eniId, request.count) };
      case 'assign-secondary-ips':
        return { ok: true, addresses: await ec2.assignSecondaryIps(eniId, request.count) };
      case 'unassign-prefixes':
        await ec2.unassignPrefixes(eniId, request.prefixes);
        return { ok: true, addresses: request.prefixes };
      case 'unassign-secondary-ips':
        await ec2.unassignSecondaryIps(eniId, request.ips);
        return { ok: true, addresses: request.ips };
      case 'resync': {
        const eni = await ec2.describeInterface(eniId);
        return { ok: true, eni: { secondaryIps: eni.secondaryIps, prefixes: eni.prefixes } };
      }
    }
  } catch (err) {
    return outcomeOfError(err);
  }
}

export function outcomeOfError(err: unknown): Ec2Outcome {
  // What became visible before the wait gave up is on the ENI and holds slots: hand it to the pool now,
  // rather than leave the slots unaccounted for until the re-sync this failure triggers.
  if (err instanceof Ec2AssignmentNotVisibleError) {
    return { ok: false, error: err.kind, message: err.message, partial: err.visible };
  }
  if (isEc2Error(err)) return { ok: false, error: err.kind, message: err.message };
  return { ok: false, error: 'other', message: err instanceof Error ? err.message : String(err) };
}

/** A short label for logs and metrics. */
export function describeRequest(request: Ec2Request): string {
  switch (request.kind) {
    case 'assign-prefixes':
    case 'assign-secondary-ips':
      return `${request.kind} x${request.count}`;
    case 'unassign-prefixes':
      return `${request.kind} ${request.prefixes.join(',')}`;
    case 'unassign-secondary-ips':
      return `${request.kind} ${request.ips.join(',')}`;
    case 'resync':
      return 'resync';
  }
}
