import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ec2AssignmentNotVisibleError, Ec2Error } from '../core/ec2/errors.ts';
import { performEc2Request } from './ec2-work.ts';
import { failureOf, type PoolEc2Port } from '../core/ec2/pool-requests.ts';

/** An EC2 port whose every call fails with `err`: the one boundary these tests fake. */
function failingWith(err: unknown): PoolEc2Port {
  const fail = async (): Promise<never> => {
    throw err;
  };
  return { assignPrefixes: fail, assignSecondaryIps: fail, unassignPrefixes: fail, unassignSecondaryIps: fail, describeInterface: fail };
}

test('an assign that is only partly visible hands the visible addresses to the pool', async () => {
  const err = new Ec2AssignmentNotVisibleError('AssignPrivateIpAddresses', 'eni-1', ['10.0.1.16/28'], ['10.0.1.32/28'], 7750);
  const request = { id: 1, kind: 'assign-prefixes' as const, count: 2 };
  assert.deepEqual(await performEc2Request(failingWith(err), 'eni-1', request), { request, outcome: { ok: false, error: 'other', message: err.message, added: ['10.0.1.16/28'] } });
});

test('other EC2 errors keep their kind and carry no partial result', async () => {
  const err = new Ec2Error('insufficient-cidr-blocks', 'InsufficientCidrBlocks', 'AssignPrivateIpAddresses', 'no free /28');
  assert.deepEqual(failureOf(err), { ok: false, error: 'insufficient-cidr-blocks', message: 'no free /28' });
  assert.deepEqual(failureOf(new Error('socket hang up')), { ok: false, error: 'other', message: 'socket hang up' });
  const request = { id: 2, kind: 'assign-prefixes' as const, count: 1 };
  assert.deepEqual(await performEc2Request(failingWith(err), 'eni-1', request), { request, outcome: { ok: false, error: 'insufficient-cidr-blocks', message: 'no free /28', added: [] } });
  const unassign = { id: 3, kind: 'unassign-prefixes' as const, prefixes: ['10.0.1.16/28'] };
  assert.deepEqual(await performEc2Request(failingWith(err), 'eni-1', unassign), { request: unassign, outcome: { ok: false, error: 'insufficient-cidr-blocks', message: 'no free /28', removed: [] } });
  const resync = { id: 4, kind: 'resync' as const, trigger: 'ec2-error' as const };
  assert.deepEqual(await performEc2Request(failingWith(new Error('x')), 'eni-1', resync), { request: resync, outcome: { ok: false, error: 'other', message: 'x' } });
});

test('a plain Ec2Error is not taken for the not-visible subclass (inherited brand check)', () => {
  const plain = new Ec2Error('other', 'InternalError', 'AssignPrivateIpAddresses', 'boom');
  assert.equal(plain instanceof Ec2Error, true);
  assert.equal(plain instanceof Ec2AssignmentNotVisibleError, false);
  assert.equal(new Ec2AssignmentNotVisibleError('X', 'eni-1', [], ['a'], 1) instanceof Ec2Error, true);
});
