import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfigError, loadKubeConfig, currentNamespace } from './kubeconfig.ts';

function kubeconfig(o: { current?: string; clusters: Array<[string, string]>; users: string[]; contexts: Array<[string, string, string, string?]> }): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config',
    ...(o.current ? { 'current-context': o.current } : {}),
    clusters: o.clusters.map(([name, server]) => ({ name, cluster: { server } })),
    users: o.users.map((name) => ({ name, user: { token: `token-${name}` } })),
    contexts: o.contexts.map(([name, cluster, user, namespace]) => ({ name, context: { cluster, user, ...(namespace ? { namespace } : {}) } })),
  });
}

function withFiles(fn: (dir: string, a: string, b: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'winprefix-kc-'));
  try {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, kubeconfig({ current: 'eks', clusters: [['eks', 'https://eks.example:443'], ['shared', 'https://first:1']], users: ['admin'], contexts: [['eks', 'eks', 'admin', 'team-a'], ['shared', 'shared', 'admin']] }));
    writeFileSync(b, kubeconfig({ current: 'local', clusters: [['local', 'https://127.0.0.1:6443'], ['shared', 'https://second:2']], users: ['admin', 'dev'], contexts: [['local', 'local', 'dev'], ['shared', 'shared', 'dev']] }));
    fn(dir, a, b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('several files merge like kubectl: first file wins per name and for current-context', () => {
  withFiles((_dir, a, b) => {
    const kc = loadKubeConfig({ kubeconfig: [a, b] }, { env: {} });
    assert.equal(kc.getCurrentContext(), 'eks');
    assert.equal(kc.getCluster('shared')?.server, 'https://first:1');
    assert.equal(kc.getContextObject('shared')?.user, 'admin');
    assert.equal(kc.getCluster('local')?.server, 'https://127.0.0.1:6443');
    assert.equal(currentNamespace(kc), 'team-a');
  });
});

test('KUBECONFIG is a colon list; missing entries are skipped as kubectl does', () => {
  withFiles((dir, a, b) => {
    const kc = loadKubeConfig({}, { env: { KUBECONFIG: [join(dir, 'nope'), b, a].join(':') } });
    assert.equal(kc.getCurrentContext(), 'local');
    assert.equal(kc.getCluster('shared')?.server, 'https://second:2');
  });
});

test('context, cluster, user and namespace overrides', () => {
  withFiles((_dir, a, b) => {
    const kc = loadKubeConfig({ kubeconfig: [a, b], context: 'local', user: 'admin', namespace: 'kube-system' }, { env: {} });
    assert.equal(kc.getCurrentCluster()?.server, 'https://127.0.0.1:6443');
    assert.equal(kc.getCurrentUser()?.name, 'admin');
    assert.equal(currentNamespace(kc), 'kube-system');
    // The named context in the file is untouched.
    assert.equal(kc.getContextObject('local')?.user, 'dev');
    const kc2 = loadKubeConfig({ kubeconfig: a, cluster: 'shared' }, { env: {} });
    assert.equal(kc2.getCurrentCluster()?.server, 'https://first:1');
    assert.equal(kc2.getCurrentUser()?.name, 'admin');
  });
});

test('errors name the missing context, cluster, user or file', () => {
  withFiles((dir, a) => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof KubeConfigError);
        return [err.code, err.message] as const;
      }
      assert.fail('no error');
    };
    const [c1, m1] = code(() => loadKubeConfig({ kubeconfig: a, context: 'prod' }, { env: {} }));
    assert.equal(c1, 'CONTEXT_NOT_FOUND');
    assert.match(m1, /context "prod".*known contexts: eks, shared/);
    assert.equal(code(() => loadKubeConfig({ kubeconfig: a, cluster: 'x' }, { env: {} }))[0], 'CLUSTER_NOT_FOUND');
    assert.equal(code(() => loadKubeConfig({ kubeconfig: a, user: 'x' }, { env: {} }))[0], 'USER_NOT_FOUND');
    const [c4, m4] = code(() => loadKubeConfig({ kubeconfig: join(dir, 'missing') }, { env: {} }));
    assert.equal(c4, 'KUBECONFIG_NOT_FOUND');
    assert.match(m4, /missing/);
    const [c5, m5] = code(() => loadKubeConfig({}, { env: {}, home: dir }));
    assert.equal(c5, 'KUBECONFIG_NOT_FOUND');
    assert.match(m5, /\.kube\/config does not exist.*--kubeconfig/);
    writeFileSync(join(dir, 'bad'), 'clusters: [unclosed');
    assert.equal(code(() => loadKubeConfig({ kubeconfig: join(dir, 'bad') }, { env: {} }))[0], 'KUBECONFIG_INVALID');
  });
});

test('in-cluster when KUBERNETES_SERVICE_HOST is set and no kubeconfig is given', () => {
  const kc = loadKubeConfig({}, { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } });
  // loadFromCluster reads the host from process.env, so only check what we decide: in-cluster user and CA paths.
  assert.equal(kc.getCurrentUser()?.name, 'inClusterUser');
  assert.match(kc.getCurrentCluster()?.caFile ?? '', /serviceaccount\/ca\.crt$/);
});
