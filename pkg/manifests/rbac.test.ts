import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configMapRules, controllerClusterRules, leaderElectionRules, METRICS_READER_ROLE, metricsReaderRules, type PolicyRule } from './rbac.ts';
import { DEFAULT_INSTALL, installObjects } from './install.ts';

/**
 * Every Kubernetes API call the controller makes, as the RBAC verb and resource it needs. A list
 * call feeds a reflector, which also watches. A call found in the code but missing here fails the
 * test, so the table (and the rules) cannot silently fall behind the code.
 */
const CALLS: Record<string, { group: string; resource: string; verbs: string[] }> = {
  listNode: { group: '', resource: 'nodes', verbs: ['list', 'watch'] },
  patchNode: { group: '', resource: 'nodes', verbs: ['patch'] },
  patchNodeStatus: { group: '', resource: 'nodes/status', verbs: ['patch'] },
  listPodForAllNamespaces: { group: '', resource: 'pods', verbs: ['list', 'watch'] },
  patchNamespacedPod: { group: '', resource: 'pods', verbs: ['patch'] },
  listEventForAllNamespaces: { group: '', resource: 'events', verbs: ['list', 'watch'] },
  createNamespacedEvent: { group: '', resource: 'events', verbs: ['create'] },
  patchNamespacedEvent: { group: '', resource: 'events', verbs: ['patch'] },
  listNamespacedConfigMap: { group: '', resource: 'configmaps', verbs: ['list', 'watch'] },
  readNamespacedLease: { group: 'coordination.k8s.io', resource: 'leases', verbs: ['get'] },
  createNamespacedLease: { group: 'coordination.k8s.io', resource: 'leases', verbs: ['create'] },
  replaceNamespacedLease: { group: 'coordination.k8s.io', resource: 'leases', verbs: ['update'] },
  createTokenReview: { group: 'authentication.k8s.io', resource: 'tokenreviews', verbs: ['create'] },
  createSubjectAccessReview: { group: 'authorization.k8s.io', resource: 'subjectaccessreviews', verbs: ['create'] },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(dir, f));
}

function granted(rules: PolicyRule[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${g}/${res}:${v}`);
  return out;
}

test('RBAC grants exactly the verbs the controller code calls, no more and no fewer', () => {
  const root = join(import.meta.dirname, '..');
  const used = new Set<string>();
  for (const file of [...sourceFiles(join(root, 'controller')), ...sourceFiles(join(root, 'adapters', 'kube'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\b(?:core|coordination|authentication|authorization)\.(\w+)\(/g)) {
      const call = CALLS[m[1]!];
      assert.ok(call, `${file} calls ${m[1]}: add it to CALLS with the RBAC verb it needs, and to pkg/manifests/rbac.ts`);
      for (const v of call.verbs) used.add(`${call.group}/${call.resource}:${v}`);
    }
  }
  const rules = granted([...controllerClusterRules(), ...configMapRules('amazon-vpc-cni'), ...leaderElectionRules('winprefix-controller')]);
  assert.deepEqual([...rules].sort(), [...used].sort());
});

test('the calls the scan looks for are the ones the metrics listener makes', () => {
  // Guards the scan itself: if the adapter stopped calling through these names, the test above would pass vacuously.
  const source = readFileSync(join(import.meta.dirname, '..', 'adapters', 'kube', 'access-review.ts'), 'utf8');
  assert.match(source, /authentication\.createTokenReview\(/);
  assert.match(source, /authorization\.createSubjectAccessReview\(/);
});

test('the manifest ships the metrics reader ClusterRole under the name 401 and 403 answers give', () => {
  const reader = installObjects(DEFAULT_INSTALL).find((o) => o.kind === 'ClusterRole' && (o.metadata as { name: string }).name === METRICS_READER_ROLE);
  assert.ok(reader, `a ClusterRole ${METRICS_READER_ROLE}`);
  assert.deepEqual(reader.rules, metricsReaderRules());
  assert.deepEqual(metricsReaderRules(), [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
});
