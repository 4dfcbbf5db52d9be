import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ForeignClaims, toClaimEvent } from './foreign-claims.ts';

test('a ControllerVersionNotice from vpc-resource-controller claims its node until the event is gone', () => {
  const claims = new ForeignClaims();
  const e = toClaimEvent({
    metadata: { namespace: 'default', name: 'win-1.abc' },
    involvedObject: { kind: 'Node', name: 'win-1' },
    reason: 'ControllerVersionNotice',
    source: { component: 'vpc-resource-controller' },
  });
  assert.equal(claims.upsert(e), 'win-1');
  assert.equal(claims.claimant('win-1'), 'vpc-resource-controller');
  assert.equal(claims.claimant('win-2'), undefined);
  assert.equal(claims.remove(e), 'win-1');
  assert.equal(claims.claimant('win-1'), undefined);
});

test('notices from other components or about other kinds claim nothing', () => {
  const claims = new ForeignClaims();
  claims.upsert(toClaimEvent({ metadata: { namespace: 'default', name: 'x' }, involvedObject: { kind: 'Node', name: 'win-1' }, reason: 'ControllerVersionNotice', source: { component: 'someone-else' } }));
  claims.upsert(toClaimEvent({ metadata: { namespace: 'default', name: 'y' }, involvedObject: { kind: 'Pod', name: 'win-1' }, reason: 'ControllerVersionNotice', source: { component: 'vpc-resource-controller' } }));
  assert.equal(claims.claimant('win-1'), undefined);
});
