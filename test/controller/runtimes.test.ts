/**
 * The same bundle in the runtimes it ships for, each doing the main workflow (warm prefix and capacity, pods
 * annotated from the fullest prefix, a burst's surplus returned, addresses back on delete):
 *
 * - Deno: `deno run --allow-env --allow-read --allow-net --allow-sys` (the permissions the README lists), with
 *   the admission webhooks, so the admission server itself runs under Deno too.
 * - Node as the image runs it: the image's flags (a 1 MiB young generation, gc() for the idle compactor,
 *   WebAssembly on the baseline compiler only), its malloc settings and a code cache made by an earlier run.
 *   Every other suite runs plain `node dist/controller.js`; this one also checks that Node took the cache
 *   rather than compiling the bundle again, and that the idle compactor (which needs that gc()) settled
 *   start-up and reports the live heap; under Deno it reports none.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { CONTROLLER_NODE_FLAGS } from '../../pkg/manifests/node-runtime.ts';
import { IDLE_COMPACTION } from '../../pkg/support/idle-compactor.ts';
import { createWindowsPod, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import {
  DENO,
  addManagedNode,
  asTheImageRunsIt,
  checkInvariants,
  deleteAllPods,
  metricValue,
  primaryEni,
  startStack,
  waitForAnnotation,
  waitForIdlePool,
  world,
  type AdmissionMode,
  type StartControllerOptions,
  type Stack,
} from './support.ts';

const plane = useControlPlane();

/** One runtime's suite: its own controller, simulator and node, removed again afterwards. */
function mainWorkflowOn(o: {
  title: string;
  node: string;
  instanceId: string;
  privateIp: string;
  admission: AdmissionMode;
  controller: () => Omit<StartControllerOptions, 'plane' | 'sim' | 'webhooks'>;
  /** What the controller's log must show about its runtime afterwards. */
  logShows: RegExp;
  /** Whether the runtime gives the idle compactor its gc() (pkg/support/idle-compactor.ts). */
  compacts: boolean;
}): void {
  describe(o.title, () => {
    let kc: KubeConfig;
    let stack: Stack | undefined;

    before(async () => {
      kc = plane().kubeConfig();
      stack = await startStack({
        plane: plane(),
        world: world([{ id: o.instanceId, type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: o.privateIp, platform: 'windows' }]),
        admission: o.admission,
        controller: o.controller(),
      });
    });

    after(async () => {
      await stack?.stop();
      await kc.makeApiClient(CoreV1Api).deleteNode({ name: o.node }).catch(() => {});
    });

    test('main workflow', async () => {
      const { sim, ctl } = stack!;
      await addManagedNode(kc, { name: o.node, instanceId: o.instanceId, capacity: 144 });
      const names = Array.from({ length: 18 }, (_, i) => `${o.node}-${i}`);
      for (const name of names) await createWindowsPod(kc, { name, nodeName: o.node });
      const values = [];
      for (const name of names) values.push(await waitForAnnotation(kc, name));
      assert.equal(new Set(values).size, names.length, 'one address per pod');
      // 18 pods in a row are a burst: a surplus looked ahead for goes back after the hold-down.
      await waitFor('two prefixes once settled', async () => (primaryEni(sim, o.instanceId).prefixes.length === 2 ? true : undefined));
      await checkInvariants(kc, sim, { [o.node]: o.instanceId });
      assert.match(await ctl.metrics(), /winprefix_pod_annotation_latency_seconds_count \d+/);
      assert.equal(metricValue(await ctl.metrics(), 'winprefix_leader'), 1);
      await deleteAllPods(kc);
      await waitForIdlePool(kc, sim, o.node, o.instanceId, { prefixes: 1, secondaryIps: 0 });
      assert.match(ctl.proc.tail(400), o.logShows);
      if (o.compacts) {
        // Start-up's settling collections run at quiet moments; each one sets the live heap.
        const settled = await waitFor('start-up settled by the idle compactor', async () => {
          const m = await ctl.metrics();
          return metricValue(m, 'winprefix_heap_compactions_total', { reason: 'settle' }) === IDLE_COMPACTION.settleCollections ? m : undefined;
        }, { timeoutMs: 60_000, intervalMs: 500 });
        const live = metricValue(settled, 'winprefix_heap_live_bytes');
        assert.ok(live !== undefined && live > 1024 * 1024 && live <= metricValue(settled, 'nodejs_heap_size_total_bytes')!, `a live heap within the reserved one: ${live}`);
        assert.ok(metricValue(settled, 'winprefix_heap_compaction_pause_seconds_total')! > 0, 'the pauses are counted');
      } else {
        const m = await ctl.metrics();
        assert.equal(metricValue(m, 'winprefix_heap_compactions_total', { reason: 'settle' }), 0, 'no gc() here, so no compaction');
        assert.equal(metricValue(m, 'winprefix_heap_live_bytes'), undefined, 'and no live heap figure rather than a wrong one');
      }
    });
  });
}

mainWorkflowOn({
  title: 'controller on Deno',
  node: 'win-deno',
  instanceId: 'i-0d00000000000000a',
  privateIp: '10.20.0.40',
  admission: 'webhook',
  controller: () => {
    assert.ok(existsSync(DENO), `${DENO} is missing (devDependency deno)`);
    return { name: 'deno', runtime: 'deno' };
  },
  logShows: /"runtime":"deno /,
  compacts: false,
});

mainWorkflowOn({
  title: 'controller as the image runs it',
  node: 'win-image',
  instanceId: 'i-0e00000000000000a',
  privateIp: '10.20.0.41',
  admission: 'policy',
  controller: () => {
    assert.ok(CONTROLLER_NODE_FLAGS.includes('--liftoff-only'), 'the WebAssembly flag this case exists to cover');
    const runtime = asTheImageRunsIt();
    // Node says whether it took the code cache on stderr, which goes to the controller's log.
    return { name: 'image-runtime', nodeFlags: runtime.nodeFlags, env: { ...runtime.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' } };
  },
  // Accepted at load, then dropped from memory once running (pkg/support/compile-cache.ts).
  logShows: /V8 code cache for ESM \S+controller\.js was accepted[^]*module\.flushCompileCache\(\) finished/,
  compacts: true,
});
