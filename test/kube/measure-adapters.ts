/**
 * @module
 * Measurements of the Kubernetes adapters against a real kube-apiserver (not a test; figures for
 * the issue notes). Usage: node --expose-gc test/kube/measure-adapters.ts [pods=2000]
 *  - heap held by N typed V1Pod objects vs the reflector's stripped PodView cache
 *  - time to list and sync N pods through the reflector
 *  - 50 sequential API calls with and without shareConnections (connections, ms)
 */
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { startControlPlane } from '../harness/control-plane.ts';
import { createKubeClients, closeSharedConnections } from '../../pkg/adapters/kube/client.ts';
import { startReflector } from '../../pkg/adapters/kube/reflector.ts';
import { toPodView, podKey, type PodView } from '../../pkg/core/views/pod-view.ts';
import { startTcpProxy, serverAddress } from './tcp-proxy.ts';

const N = Number(process.argv[2] ?? 2000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const plane = await startControlPlane({});
try {
  const kc = plane.kubeConfig();
  const c = createKubeClients(kc);
  const t0 = performance.now();
  for (let i = 0; i < N; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, (_, j) =>
        c.core.createNamespacedPod({
          namespace: 'default',
          body: {
            metadata: {
              name: `p-${i + j}`,
              labels: { app: 'web', tier: 'frontend', 'pod-template-hash': 'abc123' },
              annotations: { 'vpc.amazonaws.com/PrivateIPv4Address': `10.0.${(i + j) >> 8}.${(i + j) & 255}/32`, 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(800) },
            },
            spec: {
              nodeName: `n-${(i + j) % 10}`,
              nodeSelector: { 'kubernetes.io/os': 'windows' },
              containers: [{
                name: 'app', image: 'mcr.microsoft.com/windows/servercore:ltsc2022', command: ['powershell', '-c', 'sleep 100000'],
                env: Array.from({ length: 8 }, (_, k) => ({ name: `E${k}`, value: 'v'.repeat(40) })),
                resources: { requests: { 'vpc.amazonaws.com/PrivateIPv4Address': '1', cpu: '100m' }, limits: { 'vpc.amazonaws.com/PrivateIPv4Address': '1' } },
              }],
            },
          },
        }),
      ),
    );
  }
  console.log(`created ${N} pods in ${(performance.now() - t0).toFixed(0)} ms`);

  // Retained size: heap after building the data minus heap before, with the building done in a
  // function whose frame is gone (an await in this module's frame would keep temporaries alive).
  const sizeOf = async <T>(make: () => Promise<T>): Promise<{ mb: string; value: T }> => {
    const base = heap();
    const value = await make();
    return { mb: ((heap() - base) / 1e6).toFixed(2), value };
  };
  let syncMs = 0;
  const cache = await sizeOf(async () => {
    let synced = false;
    const t1 = performance.now();
    const r = startReflector<V1Pod, PodView>({ kc, path: '/api/v1/pods', list: () => c.core.listPodForAllNamespaces(), transform: toPodView, key: podKey, onSynced: () => (synced = true) });
    while (!synced) await new Promise((ok) => setTimeout(ok, 5));
    syncMs = performance.now() - t1;
    await r.stop();
    return r;
  });
  console.log(`reflector PodView cache: ${cache.mb} MB for ${cache.value.list().length} pods; list+sync ${syncMs.toFixed(0)} ms`);
  await closeSharedConnections(kc);
  const typed = await sizeOf(async () => (await c.core.listPodForAllNamespaces()).items);
  console.log(`typed V1Pod list held: ${typed.mb} MB for ${typed.value.length} pods`);

  for (const shared of [true, false]) {
    const proxy = await startTcpProxy(serverAddress(kc));
    const via = proxy.kubeConfigVia(kc);
    const core = shared ? createKubeClients(via).core : via.makeApiClient(CoreV1Api);
    await core.readNamespace({ name: 'default' });
    const before = proxy.accepted();
    const t = performance.now();
    for (let i = 0; i < 50; i++) await core.readNamespace({ name: 'default' });
    console.log(`50 sequential readNamespace ${shared ? 'with' : 'without'} shareConnections: ${proxy.accepted() - before} new connections, ${(performance.now() - t).toFixed(0)} ms`);
    await closeSharedConnections(via);
    await proxy.close();
  }
  for (const shared of [true, false]) {
    const direct = plane.kubeConfig();
    const core = shared ? createKubeClients(direct).core : direct.makeApiClient(CoreV1Api);
    await core.readNamespace({ name: 'default' });
    const t = performance.now();
    for (let i = 0; i < 50; i++) await core.readNamespace({ name: 'default' });
    console.log(`50 sequential readNamespace direct, ${shared ? 'with' : 'without'} shareConnections: ${(performance.now() - t).toFixed(0)} ms`);
    await closeSharedConnections(direct);
  }
} finally {
  await plane.stop();
}
