import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { classifyEc2Error, errorCodeOf, kindOfCode } from './classify.ts';
import { Ec2Error } from './errors.ts';

/** Shaped like the SDK's ServiceException: name and Code carry the EC2 code. */
function serviceError(code: string, message = 'whatever EC2 said'): Error {
  const e = new Error(message) as Error & { Code: string; $fault: string };
  e.name = code;
  e.Code = code;
  e.$fault = 'client';
  return e;
}

describe('classifyEc2Error', () => {
  const cases: Array<[string, string]> = [
    ['InsufficientCidrBlocks', 'insufficient-cidr-blocks'],
    ['PrivateIpAddressLimitExceeded', 'address-limit-exceeded'],
    ['InsufficientFreeAddressesInSubnet', 'address-limit-exceeded'],
    ['RequestLimitExceeded', 'throttled'],
    ['Throttling', 'throttled'],
    ['InvalidNetworkInterfaceID.NotFound', 'not-found'],
    ['InvalidInstanceID.NotFound', 'not-found'],
    ['InvalidSubnetID.NotFound', 'not-found'],
    ['InvalidInstanceType', 'not-found'],
    ['InvalidInstanceID.Malformed', 'not-found'],
    ['UnauthorizedOperation', 'unauthorized'],
    ['AuthFailure', 'unauthorized'],
    ['InvalidParameterValue', 'other'],
    ['InternalError', 'other'],
  ];
  for (const [code, kind] of cases) {
    test(`${code} -> ${kind}`, () => {
      const err = classifyEc2Error(serviceError(code), 'AssignPrivateIpAddresses');
      assert.ok(err instanceof Ec2Error);
      assert.equal(err.kind, kind);
      assert.equal(err.code, code);
      assert.equal(err.action, 'AssignPrivateIpAddresses');
    });
  }

  test('decides by code, never by message text', () => {
    // Upstream's text match in reverse (docs/upstream-differences.md #1): a message mentioning
    // the code must not change the kind.
    assert.equal(classifyEc2Error(serviceError('InvalidParameterValue', 'InsufficientCidrBlocks in text'), 'X').kind, 'other');
    assert.equal(classifyEc2Error(serviceError('InsufficientCidrBlocks', 'no text match here'), 'X').kind, 'insufficient-cidr-blocks');
  });

  test('network failures are unreachable, via code, nested errors, or the SDK timeout name', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(classifyEc2Error(refused, 'DescribeInstances').kind, 'unreachable');
    const aggregate = new AggregateError([refused], 'all attempts failed');
    assert.equal(errorCodeOf(aggregate), 'ECONNREFUSED');
    const timeout = new Error('Connection timed out after 100 ms');
    timeout.name = 'TimeoutError';
    assert.equal(classifyEc2Error(timeout, 'DescribeInstances').kind, 'unreachable');
  });

  test('missing credentials are unauthorized and the message names the permission', () => {
    const e = new Error('Could not load credentials from any providers');
    e.name = 'CredentialsProviderError';
    const c = classifyEc2Error(e, 'DescribeNetworkInterfaces');
    assert.equal(c.kind, 'unauthorized');
    assert.match(c.message, /ec2:DescribeNetworkInterfaces/);
    assert.equal(c.permission, 'ec2:DescribeNetworkInterfaces');
  });

  test('an Ec2Error passes through unchanged, and unknown values get code Unknown', () => {
    const original = new Ec2Error('throttled', 'RequestLimitExceeded', 'X', 'm');
    assert.equal(classifyEc2Error(original, 'Y'), original);
    assert.equal(kindOfCode(errorCodeOf('a string')), 'other');
    assert.equal(errorCodeOf(undefined), 'Unknown');
  });
});
