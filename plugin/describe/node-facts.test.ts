import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProviderId, regionOfZone } from './node-facts.ts';

describe('provider ID and region', () => {
  it('reads zone and instance from aws:///ZONE/ID', () => {
    assert.deepEqual(parseProviderId('aws:///us-west-2a/i-0abc'), { zone: 'us-west-2a', instanceId: 'i-0abc' });
    assert.deepEqual(parseProviderId('aws:////i-0abc'), { zone: null, instanceId: 'i-0abc' });
    assert.deepEqual(parseProviderId('gce://p/z/n'), { zone: null, instanceId: null });
    assert.deepEqual(parseProviderId(undefined), { zone: null, instanceId: null });
  });
  it('derives the region from standard, Local Zone and GovCloud zones', () => {
    assert.equal(regionOfZone('us-west-2a'), 'us-west-2');
    assert.equal(regionOfZone('us-west-2-lax-1a'), 'us-west-2');
    assert.equal(regionOfZone('us-gov-west-1b'), 'us-gov-west-1');
    assert.equal(regionOfZone('ap-southeast-2c'), 'ap-southeast-2');
    assert.equal(regionOfZone('nowhere'), null);
    assert.equal(regionOfZone(null), null);
  });
});
