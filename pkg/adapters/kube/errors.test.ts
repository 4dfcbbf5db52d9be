import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { KubeApiError, isConflict, isForbidden, isGone, isNotFound, parseForbidden } from './errors.ts';

const forbidden = JSON.stringify({
  kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403,
  message: 'pods "p" is forbidden: User "system:serviceaccount:kube-system:winprefix" cannot patch resource "pods" in API group "" in the namespace "team-a"',
});

test('a 403 names the verb, resource, group, namespace and user, and says what to grant', () => {
  const e = KubeApiError.from(new ApiException(403, 'Unknown API Status Code!', forbidden, {}));
  assert.ok(e instanceof KubeApiError);
  assert.equal(e.status, 403);
  assert.equal(e.reason, 'Forbidden');
  assert.equal(e.code, 'KUBE_FORBIDDEN');
  assert.deepEqual(e.permission, { user: 'system:serviceaccount:kube-system:winprefix', verb: 'patch', resource: 'pods', group: '', namespace: 'team-a' });
  assert.match(e.message, /"patch" on "pods" in API group core/);
  assert.match(e.message, /grant the verb "patch"/);
  assert.ok(isForbidden(e));
});

test('cluster-scoped subresource denial parses too', () => {
  assert.deepEqual(parseForbidden('nodes "n1" is forbidden: User "u" cannot patch resource "nodes/status" in API group "" at the cluster scope'), {
    user: 'u', verb: 'patch', resource: 'nodes/status', group: '',
  });
});

test('reasons come from the Status body, else from the HTTP code; helpers classify', () => {
  assert.ok(isNotFound(new ApiException(404, 'x', '{"reason":"NotFound"}', {})));
  assert.ok(isConflict(new ApiException(409, 'x', undefined, {})));
  assert.ok(isGone(new ApiException(410, 'x', '{"reason":"Expired"}', {})));
  assert.ok(isGone(Object.assign(new Error('Gone'), { statusCode: 410 })));
  const e = KubeApiError.from(new ApiException(422, 'x', '{"reason":"Invalid","message":"spec.x: bad"}', {}));
  assert.ok(e instanceof KubeApiError && e.reason === 'Invalid' && e.code === 'KUBE_INVALID' && /spec\.x: bad/.test(e.message));
  const network = new TypeError('fetch failed');
  assert.equal(KubeApiError.from(network), network);
  assert.equal(isNotFound(network), false);
});
