import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ec2AssignmentNotVisibleError, Ec2Error } from '../core/ec2/errors.ts';
import { outcomeOfError } from './ec2-work.ts';

test('an assign that is only partly visible hands the visible addresses to the pool as partial', () => {
  const err = new Ec2AssignmentNotVisibleError('AssignPrivateIpAddresses', 'eni-1', ['10.0.1.16/28'], ['10.0.1.32/28'], 7750);
  assert.deepEqual(outcomeOfError(err), { ok: false, error: 'other', message: err.message, partial: ['10.0.1.16/28'] });
});

test('other EC2 errors keep their kind and carry no partial result', () => {
  const err = new Ec2Error('insufficient-cidr-blocks', 'InsufficientCidrBlocks', 'AssignPrivateIpAddresses', 'no free /28');
  assert.deepEqual(outcomeOfError(err), { ok: false, error: 'insufficient-cidr-blocks', message: 'no free /28' });
  assert.deepEqual(outcomeOfError(new Error('socket hang up')), { ok: false, error: 'other', message: 'socket hang up' });
});

test('a plain Ec2Error is not taken for the not-visible subclass (inherited brand check)', () => {
  const plain = new Ec2Error('other', 'InternalError', 'AssignPrivateIpAddresses', 'boom');
  assert.equal(plain instanceof Ec2Error, true);
  assert.equal(plain instanceof Ec2AssignmentNotVisibleError, false);
  assert.equal(new Ec2AssignmentNotVisibleError('X', 'eni-1', [], ['a'], 1) instanceof Ec2Error, true);
});
