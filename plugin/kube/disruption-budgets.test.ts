import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budgetsOnNode, evictedByDrain, selectorMatches, type DrainablePod, type KubePodDisruptionBudget, type LabelSelector } from './disruption-budgets.ts';

const pod = (name: string, labels: Record<string, string>, extra: Partial<DrainablePod['metadata']> = {}, phase = 'Running'): DrainablePod => ({
  metadata: { name, namespace: 'web', labels, ...extra },
  status: { phase },
});
const pdb = (name: string, selector: LabelSelector, allowed: number | undefined, namespace = 'web'): KubePodDisruptionBudget => ({
  metadata: { name, namespace },
  spec: { selector },
  ...(allowed === undefined ? {} : { status: { disruptionsAllowed: allowed } }),
});

describe('label selectors as the API server reads them', () => {
  it('matchLabels and every operator of matchExpressions', () => {
    const labels = { app: 'iis', tier: 'front' };
    assert.equal(selectorMatches({ matchLabels: { app: 'iis' } }, labels), true);
    assert.equal(selectorMatches({ matchLabels: { app: 'iis', tier: 'back' } }, labels), false);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'mid'] }] }, labels), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, labels), false);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels), false);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] }, labels), false, 'an unknown operator selects nothing');
  });

  it('policy/v1: an empty selector selects every pod, a missing one none', () => {
    assert.equal(selectorMatches({}, { any: 'x' }), true);
    assert.equal(selectorMatches(undefined, { any: 'x' }), false);
    assert.equal(selectorMatches(null, {}), false);
  });
});

describe('what blocks a drain', () => {
  it('DaemonSet, mirror and finished pods are not evicted', () => {
    assert.equal(evictedByDrain(pod('a', {})), true);
    assert.equal(evictedByDrain(pod('ds', {}, { ownerReferences: [{ kind: 'DaemonSet', controller: true }] })), false);
    assert.equal(evictedByDrain(pod('rs', {}, { ownerReferences: [{ kind: 'ReplicaSet', controller: true }] })), true);
    assert.equal(evictedByDrain(pod('static', {}, { annotations: { 'kubernetes.io/config.mirror': 'abc' } })), false);
    assert.equal(evictedByDrain(pod('done', {}, {}, 'Succeeded')), false);
  });

  it('budgets covering the node\'s pods, those allowing no disruption first; other namespaces and uncovered pods ignored', () => {
    const pods = [
      pod('iis-1', { app: 'iis' }),
      pod('iis-2', { app: 'iis' }),
      pod('api-1', { app: 'api' }),
      pod('ds', { app: 'iis' }, { ownerReferences: [{ kind: 'DaemonSet', controller: true }] }),
    ];
    const budgets = [
      pdb('iis', { matchLabels: { app: 'iis' } }, 1),
      pdb('api', { matchLabels: { app: 'api' } }, 0),
      pdb('elsewhere', { matchLabels: { app: 'iis' } }, 0, 'other'),
      pdb('nothing', { matchLabels: { app: 'none' } }, 0),
      pdb('fresh', { matchLabels: { app: 'api' } }, undefined),
    ];
    assert.deepEqual(budgetsOnNode(pods, budgets), [
      { namespace: 'web', name: 'api', disruptionsAllowed: 0, pods: ['web/api-1'], blocks: true },
      { namespace: 'web', name: 'fresh', disruptionsAllowed: 0, pods: ['web/api-1'], blocks: true },
      { namespace: 'web', name: 'iis', disruptionsAllowed: 1, pods: ['web/iis-1', 'web/iis-2'], blocks: false },
    ]);
  });
});
