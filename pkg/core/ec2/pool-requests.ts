/**
 * @module
 * How the pool's EC2 requests (`Ec2Request`) are carried out on the EC2 port, once for every EC2 that
 * claims to be one: which port call serves each request kind, and what its answer (or failure) means
 * to the pool (`Ec2Result`). The controller sends through the SDK adapter and awaits
 * (pkg/controller/ec2-work.ts); the in-process EC2 of the simulator answers at once
 * (pkg/ec2sim/world-eni.ts). Failures are classified by Ec2Error kind (EC2's code), never by message text.
 */
import { Ec2AssignmentNotVisibleError, isEc2Error, type Ec2ErrorKind } from './errors.ts';
import type { Ec2Port } from './port.ts';
import type { Ec2Request, Ec2Result } from '../ipam/types.ts';

/** The EC2 calls pool work needs, and nothing else. */
export type PoolEc2Port = Pick<Ec2Port, 'assignPrefixes' | 'assignSecondaryIps' | 'unassignPrefixes' | 'unassignSecondaryIps' | 'describeInterface'>;

/** The same calls with any return: a promise (the SDK adapter) or the value itself (an in-process EC2). */
export type PoolCalls = { [K in keyof PoolEc2Port]: (...args: Parameters<PoolEc2Port[K]>) => unknown };

/** What one call gave: its value (awaited), or what it threw. */
export type CallAnswer = { value: unknown } | { error: unknown };

/** Makes the port call that carries out `request` on ENI `eniId`, and returns what the port returns. */
export function sendPoolRequest(ec2: PoolCalls, eniId: string, request: Ec2Request): unknown {
  switch (request.kind) {
    case 'assign-prefixes':
      return ec2.assignPrefixes(eniId, request.count);
    case 'assign-secondary-ips':
      return ec2.assignSecondaryIps(eniId, request.count);
    case 'unassign-prefixes':
      return ec2.unassignPrefixes(eniId, request.prefixes);
    case 'unassign-secondary-ips':
      return ec2.unassignSecondaryIps(eniId, request.ips);
    case 'resync':
      return ec2.describeInterface(eniId);
  }
}

/** What the port's answer to `request` means to the pool. `answer.value` is what the Ec2Port method resolved to. */
export function poolResultOf(request: Ec2Request, answer: CallAnswer): Ec2Result {
  switch (request.kind) {
    case 'assign-prefixes':
    case 'assign-secondary-ips': {
      if ('value' in answer) return { request, outcome: { ok: true, added: answer.value as string[] } };
      // What became visible before the wait gave up is on the ENI and holds slots: hand it to the pool
      // now, rather than leave the slots unaccounted for until the re-sync this failure triggers.
      const added = answer.error instanceof Ec2AssignmentNotVisibleError ? answer.error.visible : [];
      return { request, outcome: { ...failureOf(answer.error), added } };
    }
    case 'unassign-prefixes':
    case 'unassign-secondary-ips':
      if ('error' in answer) return { request, outcome: { ...failureOf(answer.error), removed: [] } };
      return { request, outcome: { ok: true, removed: request.kind === 'unassign-prefixes' ? request.prefixes : request.ips } };
    case 'resync': {
      if ('error' in answer) return { request, outcome: failureOf(answer.error) };
      const eni = answer.value as Awaited<ReturnType<Ec2Port['describeInterface']>>;
      return { request, outcome: { ok: true, eni: { secondaryIps: eni.secondaryIps, prefixes: eni.prefixes } } };
    }
  }
}

/** Classified by Ec2Error kind (EC2's code), never by message text. */
export function failureOf(err: unknown): { ok: false; error: Ec2ErrorKind; message: string } {
  if (isEc2Error(err)) return { ok: false, error: err.kind, message: err.message };
  return { ok: false, error: 'other', message: err instanceof Error ? err.message : String(err) };
}
