/**
 * The bundle as the image runs it: the image's Node flags (a 1 MiB young generation, gc() for the idle
 * compactor, WebAssembly on the baseline compiler only), its malloc settings and a code cache made by an
 * earlier run. Every other suite runs plain `node dist/controller.js`; this one shows the image's runtime does
 * the main workflow too, over undici's WebAssembly HTTP parser (the write connections), and that Node accepts
 * the cache rather than compiling the bundle again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { CONTROLLER_NODE_FLAGS } from '../../pkg/manifests/node-runtime.ts';
import { createWindowsPod, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import {
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
  type ControllerProcess,
  type Stack,
} from './support.ts';

const plane = useControlPlane();
const INSTANCES = { 'win-image': 'i-0e00000000000000a' };

describe('controller as the image runs it', () => {
  let sim: Ec2Simulator;
  let kc: KubeConfig;
  let ctl: ControllerProcess;
  let stack: Stack | undefined;

  before(async () => {
    kc = plane().kubeConfig();
    const runtime = asTheImageRunsIt();
    stack = await startStack({
      plane: plane(),
      world: world([{ id: INSTANCES['win-image'], type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: '10.20.0.41', platform: 'windows' }]),
      // Node says whether it took the code cache (on stderr, which goes to the controller's log).
      controller: { name: 'image-runtime', nodeFlags: runtime.nodeFlags, env: { ...runtime.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' } },
    });
    sim = stack.sim;
    ctl = stack.ctl;
  });

  after(async () => {
    await stack?.stop();
  });

  test('main workflow with the image flags, malloc settings and code cache', async () => {
    assert.ok(CONTROLLER_NODE_FLAGS.includes('--liftoff-only'), 'the flag this suite exists to cover');
    await addManagedNode(kc, { name: 'win-image', instanceId: INSTANCES['win-image'], capacity: 144 });
    const names = Array.from({ length: 18 }, (_, i) => `img-${i}`);
    for (const name of names) await createWindowsPod(kc, { name, nodeName: 'win-image' });
    const values = [];
    for (const name of names) values.push(await waitForAnnotation(kc, name));
    assert.equal(new Set(values).size, names.length, 'one address per pod');
    await waitFor('two prefixes once settled', async () => (primaryEni(sim, INSTANCES['win-image']).prefixes.length === 2 ? true : undefined));
    await checkInvariants(kc, sim, INSTANCES);
    assert.equal(metricValue(await ctl.metrics(), 'winprefix_leader'), 1);
    await deleteAllPods(kc);
    await waitForIdlePool(kc, sim, 'win-image', INSTANCES['win-image'], { prefixes: 1, secondaryIps: 0 });
    const log = ctl.proc.tail(400);
    assert.match(log, /V8 code cache for ESM \S+controller\.js was accepted/, 'Node compiled the bundle instead of using the cache');
  });
});
