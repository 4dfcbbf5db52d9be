/**
 * @module
 * Performs one Ec2Request the pool asked for, on the node's primary ENI, and turns whatever EC2
 * answered into the typed Ec2Result the pool understands. Errors are classified by Ec2Error kind
 * (EC2's code), never by message text.
 */
import { Ec2AssignmentNotVisibleError, isEc2Error, type Ec2ErrorKind } from '../core/ec2/errors.ts';
import type { Ec2Port } from '../core/ec2/port.ts';
import type { Ec2Request, Ec2Result } from '../core/ipam/types.ts';

/** The EC2 calls pool work needs, and nothing else. */
export type PoolEc2Port = Pick<Ec2Port, 'assignPrefixes' | 'assignSecondaryIps' | 'unassignPrefixes' | 'unassignSecondaryIps' | 'describeInterface'>;

export async function performEc2Request(ec2: PoolEc2Port, eniId: string, request: Ec2Request): Promise<Ec2Result> {
  switch (request.kind) {
    case 'assign-prefixes':
    case 'assign-secondary-ips':
      try {
        const added = request.kind === 'assign-prefixes' ? await ec2.assignPrefixes(eniId, request.count) : await ec2.assignSecondaryIps(eniId, request.count);
        return { request, outcome: { ok: true, added } };
      } catch (err) {
        // What became visible before the wait gave up is on the ENI and holds slots: hand it to the pool
        // now, rather than leave the slots unaccounted for until the re-sync this failure triggers.
        const added = err instanceof Ec2AssignmentNotVisibleError ? err.visible : [];
        return { request, outcome: { ...failureOf(err), added } };
      }
    case 'unassign-prefixes':
    case 'unassign-secondary-ips':
      try {
        if (request.kind === 'unassign-prefixes') await ec2.unassignPrefixes(eniId, request.prefixes);
        else await ec2.unassignSecondaryIps(eniId, request.ips);
        return { request, outcome: { ok: true, removed: request.kind === 'unassign-prefixes' ? request.prefixes : request.ips } };
      } catch (err) {
        return { request, outcome: { ...failureOf(err), removed: [] } };
      }
    case 'resync':
      try {
        const eni = await ec2.describeInterface(eniId);
        return { request, outcome: { ok: true, eni: { secondaryIps: eni.secondaryIps, prefixes: eni.prefixes } } };
      } catch (err) {
        return { request, outcome: failureOf(err) };
      }
  }
}

/** Classified by Ec2Error kind (EC2's code), never by message text. */
export function failureOf(err: unknown): { ok: false; error: Ec2ErrorKind; message: string } {
  if (isEc2Error(err)) return { ok: false, error: err.kind, message: err.message };
  return { ok: false, error: 'other', message: err instanceof Error ? err.message : String(err) };
}
