/**
 * @module
 * Proves the test harness against the real kube-apiserver and etcd: version, admin access, RBAC with minted
 * identities, a real admission webhook call, the real kubectl, and clean-up on stop, failure and signals.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { createServer as createNetServer } from 'node:net';
import { ApiException, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, VersionApi } from '@kubernetes/client-node';
import { findKubectl, pinnedVersions } from './assets.ts';
import { ControlPlaneStartError, startControlPlane } from './control-plane.ts';
import {
  createOrReplaceObjects,
  createWindowsNode,
  createWindowsPod,
  deletePodNow,
  ensureNamespace,
  installWebhookConfigurations,
  waitFor,
} from './cluster-objects.ts';
import { useControlPlane } from './suite.ts';

const execFileAsync = promisify(execFile);
const plane = useControlPlane();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function statusOf(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

describe('the shared control plane', () => {
  test('runs the pinned Kubernetes version and reports its start-up time', async () => {
    const version = await plane().kubeConfig().makeApiClient(VersionApi).getCode();
    assert.equal(version.gitVersion, pinnedVersions().kubernetes);
    assert.equal(version.gitVersion, 'v1.36.3');
    assert.ok(plane().startupMs > 0 && plane().startupMs < 90_000, `startupMs ${plane().startupMs}`);
    process.stderr.write(`control plane start-up: ${plane().startupMs} ms\n`);
  });

  test('admin creates a Windows node with kubelet-style status and a pod bound to it', async () => {
    const kc = plane().kubeConfig();
    const node = await createWindowsNode(kc, {
      name: 'win-admin-1',
      instanceId: 'i-0123456789abcdef0',
      instanceType: 'm5.large',
      zone: 'us-west-2a',
      maxPods: 29,
      internalIp: '10.0.0.10',
    });
    assert.equal(node.spec?.providerID, 'aws:///us-west-2a/i-0123456789abcdef0');
    assert.equal(node.metadata?.labels?.['kubernetes.io/os'], 'windows');
    assert.equal(node.metadata?.labels?.['beta.kubernetes.io/os'], 'windows');
    assert.equal(node.metadata?.labels?.['node.kubernetes.io/instance-type'], 'm5.large');
    assert.equal(node.metadata?.labels?.['topology.kubernetes.io/zone'], 'us-west-2a');
    assert.equal(node.metadata?.labels?.['topology.kubernetes.io/region'], 'us-west-2');

    const stored = await kc.makeApiClient(CoreV1Api).readNodeStatus({ name: 'win-admin-1' });
    assert.equal(stored.status?.capacity?.pods, '29');
    assert.equal(stored.status?.allocatable?.pods, '29');
    assert.equal(stored.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(stored.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, '10.0.0.10');

    const pod = await createWindowsPod(kc, { name: 'win-pod-1', nodeName: 'win-admin-1', requestIp: true });
    assert.equal(pod.spec?.nodeName, 'win-admin-1');
    assert.equal(pod.spec?.nodeSelector?.['kubernetes.io/os'], 'windows');
    assert.equal(pod.spec?.containers[0]?.resources?.requests?.['vpc.amazonaws.com/PrivateIPv4Address'], '1');
    assert.equal(pod.spec?.containers[0]?.resources?.limits?.['vpc.amazonaws.com/PrivateIPv4Address'], '1');

    const plain = await createWindowsPod(kc, { name: 'host-net-pod', nodeName: 'win-admin-1', hostNetwork: true, nodeSelector: false });
    assert.equal(plain.spec?.hostNetwork, true);
    assert.equal(plain.spec?.nodeSelector, undefined);
    assert.equal(plain.spec?.containers[0]?.resources?.requests, undefined);
  });

  test('a minted identity gets 403 without RBAC and gets through once a Role grants it', async () => {
    const admin = plane().kubeConfig();
    await ensureNamespace(admin, 'rbac-test');
    await ensureNamespace(admin, 'rbac-test'); // idempotent
    const path = await plane().mintKubeconfig({ name: 'alice', groups: ['team-a', 'readers'] });
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    const core = kc.makeApiClient(CoreV1Api);

    assert.equal(await statusOf(core.listNamespacedPod({ namespace: 'rbac-test' })), 403);

    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: 'rbac-test',
      body: {
        metadata: { name: 'pod-reader' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    // Bound to a group, so this also proves the certificate's O= entries arrive as groups.
    await rbac.createNamespacedRoleBinding({
      namespace: 'rbac-test',
      body: {
        metadata: { name: 'readers-read-pods' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'readers' }],
      },
    });
    await waitFor('alice to be allowed to list pods in rbac-test', async () =>
      (await statusOf(core.listNamespacedPod({ namespace: 'rbac-test' }))) === 'ok' ? true : undefined,
    );
    // Still nothing outside the Role.
    assert.equal(await statusOf(core.listNamespacedPod({ namespace: 'default' })), 403);
    assert.equal(await statusOf(core.listNode()), 403);
  });

  test('kube-apiserver calls a Node https webhook served with webhookServing()', async () => {
    const { certDir, caBundle } = await plane().webhookServing();
    assert.equal(plane().webhookServing(), plane().webhookServing(), 'made once per control plane');
    const calls: { uid: string; operation: string; name: string }[] = [];
    const server: Server = createServer(
      { cert: readFileSync(join(certDir, 'tls.crt')), key: readFileSync(join(certDir, 'tls.key')) },
      (req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (c: string) => (body += c));
        req.on('end', () => {
          const review = JSON.parse(body) as { request: { uid: string; operation: string; object: { metadata: { name: string } } } };
          calls.push({ uid: review.request.uid, operation: review.request.operation, name: review.request.object.metadata.name });
          const patch = [{ op: 'add', path: '/metadata/annotations', value: { 'winprefix.test/mutated-by': 'node-https' } }];
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              apiVersion: 'admission.k8s.io/v1',
              kind: 'AdmissionReview',
              response: {
                uid: review.request.uid,
                allowed: true,
                patchType: 'JSONPatch',
                patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
              },
            }),
          );
        });
      },
    );
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const kc = plane().kubeConfig();
      const configuration = {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'harness-test' },
        webhooks: [
          {
            name: 'harness-test.winprefix.test',
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            failurePolicy: 'Fail',
            timeoutSeconds: 5,
            // Only pods that opt in, so other tests in this file are unaffected.
            objectSelector: { matchLabels: { 'winprefix.test/webhook': 'yes' } },
            clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle },
            rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
          },
        ],
      };
      await installWebhookConfigurations(kc, [configuration]);
      // Replacing an existing configuration works too (the second install must not fail with 409).
      await installWebhookConfigurations(kc, [configuration]);
      // The API server picks up webhook configurations through an informer: retry until it calls us.
      let n = 0;
      const pod = await waitFor('the webhook to mutate a new pod', async () => {
        n += 1;
        const p = await createWindowsPod(kc, { name: `hooked-${n}`, labels: { 'winprefix.test/webhook': 'yes' } });
        return p.metadata?.annotations?.['winprefix.test/mutated-by'] === 'node-https' ? p : undefined;
      }, { timeoutMs: 15_000, intervalMs: 200 });
      assert.ok(calls.some((c) => c.name === pod.metadata?.name && c.operation === 'CREATE'), JSON.stringify(calls));

      const unlabelled = await createWindowsPod(kc, { name: 'not-hooked' });
      assert.equal(unlabelled.metadata?.annotations?.['winprefix.test/mutated-by'], undefined);
      assert.ok(!calls.some((c) => c.name === 'not-hooked'));
    } finally {
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });

  test('createOrReplaceObjects creates any kind, then replaces it; deletePodNow removes a bound pod at once', async () => {
    const kc = plane().kubeConfig();
    const configMap = (value: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' },
      data: { 'enable-windows-ipam': value },
    });
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'harness-reader' },
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }],
    };
    await createOrReplaceObjects(kc, [configMap('false'), role]);
    await createOrReplaceObjects(kc, [configMap('true'), role]);
    const core = kc.makeApiClient(CoreV1Api);
    const stored = await core.readNamespacedConfigMap({ name: 'amazon-vpc-cni', namespace: 'kube-system' });
    assert.equal(stored.data?.['enable-windows-ipam'], 'true');
    assert.equal((await kc.makeApiClient(RbacAuthorizationV1Api).readClusterRole({ name: 'harness-reader' })).rules?.[0]?.verbs[0], 'get');
    await assert.rejects(createOrReplaceObjects(kc, [{ kind: 'ConfigMap' }]), /needs apiVersion, kind and metadata.name/);
    await assert.rejects(installWebhookConfigurations(kc, [configMap('x')]), /got kind "ConfigMap"/);

    await createWindowsPod(kc, { name: 'short-lived', nodeName: 'win-admin-1' });
    await deletePodNow(kc, 'short-lived');
    assert.equal(await statusOf(core.readNamespacedPod({ name: 'short-lived', namespace: 'default' })), 404);
    await deletePodNow(kc, 'short-lived'); // already gone: no error
  });

  test('the real kubectl works with the admin kubeconfig', async () => {
    const kubectl = findKubectl();
    const { stdout } = await execFileAsync(kubectl, ['--kubeconfig', plane().kubeconfigPath, 'get', 'namespaces', '-o', 'json'], { timeout: 30_000 });
    const names = (JSON.parse(stdout) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
    assert.ok(names.includes('kube-system') && names.includes('default'), names.join(','));
    const version = await execFileAsync(kubectl, ['--kubeconfig', plane().kubeconfigPath, 'version', '-o', 'json'], { timeout: 30_000 });
    assert.equal((JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion, 'v1.36.3');
  });
});

describe('clean-up', () => {
  test('stop() ends both processes and removes the folder, and can be called twice', async () => {
    const p = await startControlPlane();
    assert.ok(isAlive(p.pids.etcd) && isAlive(p.pids.kubeApiserver));
    assert.ok(existsSync(p.dir));
    await Promise.all([p.stop(), p.stop()]);
    await p.stop();
    assert.equal(isAlive(p.pids.etcd), false);
    assert.equal(isAlive(p.pids.kubeApiserver), false);
    assert.equal(existsSync(p.dir), false);
  });

  test('a failed start names the cause, shows the API server log tail and leaves nothing behind', async () => {
    const logs: string[] = [];
    const err = await startControlPlane({ apiserverFlags: ['--no-such-flag=1'], log: (l) => logs.push(l) }).then(
      () => assert.fail('start-up should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ControlPlaneStartError);
    assert.match(err.message, /kube-apiserver exited with 1/);
    assert.match(err.message, /unknown flag: --no-such-flag/);
    const dir = /\((\/[^)]*winprefix-cp-[^/)]+)\//.exec(err.message)?.[1];
    assert.ok(dir, err.message);
    assert.equal(existsSync(dir), false);
    assert.ok(logs.some((l) => l.includes('did not start')));
  });

  test('a port taken by another process is retried, and the error says so when it stays taken', async () => {
    const blocker = createNetServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
    try {
      const address = blocker.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const logs: string[] = [];
      const err = await startControlPlane({ apiserverFlags: [`--secure-port=${port}`], log: (l) => logs.push(l) }).then(
        () => assert.fail('start-up should have failed: the port is held'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ControlPlaneStartError);
      assert.equal(err.portTaken, true);
      assert.match(err.message, /address already in use/);
      assert.equal(logs.filter((l) => l.includes('retrying')).length, 2, logs.join('\n'));
    } finally {
      await new Promise<void>((ok) => blocker.close(() => ok()));
    }
  });

  test('SIGTERM to a process holding a control plane stops it and removes its folder', async () => {
    const { child, held } = await holdControlPlaneInChild();
    assert.ok(isAlive(held.pids.kubeApiserver) && existsSync(held.dir));
    const exited = new Promise<NodeJS.Signals | null>((ok) => child.once('exit', (_code, signal) => ok(signal)));
    child.kill('SIGTERM');
    assert.equal(await exited, 'SIGTERM', 'exits as the signal would have');
    assert.equal(isAlive(held.pids.etcd), false);
    assert.equal(isAlive(held.pids.kubeApiserver), false);
    assert.equal(existsSync(held.dir), false);
  });

  test('SIGKILL of the holding process: the watchdog ends both processes and removes the folder', async () => {
    const { child, held } = await holdControlPlaneInChild();
    child.kill('SIGKILL');
    await waitFor('the watchdog to clean up', async () =>
      !isAlive(held.pids.etcd) && !isAlive(held.pids.kubeApiserver) && !existsSync(held.dir) ? true : undefined,
      { timeoutMs: 10_000, intervalMs: 200 },
    );
  });
});

/** A child process that starts a control plane and prints its folder and process ids as one JSON line. */
async function holdControlPlaneInChild() {
  const fixture = new URL('./fixtures/hold-control-plane.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout }).once('line', ok);
    child.once('exit', (code) => fail(new Error(`fixture exited early with ${code}`)));
  });
  return { child, held: JSON.parse(line) as { dir: string; pids: { etcd: number; kubeApiserver: number } } };
}
