import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEc2Endpoint } from './endpoint.ts';
import { createEc2Adapter } from './sdk-adapter.ts';
import { isEc2Error } from '../../core/ec2/errors.ts';

test('an http or https endpoint is taken as a URL', () => {
  assert.equal(parseEc2Endpoint('http://127.0.0.1:4566').port, '4566');
  assert.equal(parseEc2Endpoint('https://ec2.us-west-2.amazonaws.com').hostname, 'ec2.us-west-2.amazonaws.com');
});

test('anything else is refused with what to pass instead, by the controller adapter before any call', () => {
  const refused = (endpoint: string, says: RegExp) => {
    for (const attempt of [() => parseEc2Endpoint(endpoint), () => createEc2Adapter({ region: 'us-west-2', endpoint })]) {
      assert.throws(attempt, (err: unknown) => isEc2Error(err) && err.code === 'WinprefixBadEndpoint' && says.test(err.message));
    }
  };
  refused('ec2.us-west-2.amazonaws.com', /EC2 endpoint "ec2.us-west-2.amazonaws.com" is not a URL; use e.g. http:\/\/127.0.0.1:4566 or https:\/\/ec2.us-west-2.amazonaws.com/);
  refused('ftp://127.0.0.1:4566', /EC2 endpoint "ftp:\/\/127.0.0.1:4566" must use http or https/);
});
