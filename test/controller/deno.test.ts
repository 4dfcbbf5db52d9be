/**
 * The same bundle under Deno: dist/controller.js run with `deno run --allow-env --allow-read
 * --allow-net --allow-sys` (the permissions the README lists) does the main workflow: warm prefix
 * and capacity, webhook-injected pods annotated from the fullest prefix, addresses back on delete.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { createWindowsPod, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import {
  DENO,
  addManagedNode,
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
const INSTANCES = { 'win-deno': 'i-0d00000000000000a' };

describe('controller on Deno', () => {
  let sim: Ec2Simulator;
  let kc: KubeConfig;
  let ctl: ControllerProcess;
  let stack: Stack | undefined;

  before(async () => {
    assert.ok(existsSync(DENO), `${DENO} is missing (devDependency deno)`);
    kc = plane().kubeConfig();
    stack = await startStack({
      plane: plane(),
      world: world([{ id: INSTANCES['win-deno'], type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: '10.20.0.40', platform: 'windows' }]),
      // The webhook form: the admission server itself must run under Deno too.
      admission: 'webhook',
      controller: { name: 'deno', runtime: 'deno' },
    });
    sim = stack.sim;
    ctl = stack.ctl;
  });

  after(async () => {
    await stack?.stop();
  });

  test('main workflow under deno run', async () => {
    await addManagedNode(kc, { name: 'win-deno', instanceId: INSTANCES['win-deno'], capacity: 144 });
    const names = Array.from({ length: 18 }, (_, i) => `d-${i}`);
    for (const name of names) await createWindowsPod(kc, { name, nodeName: 'win-deno' });
    const values = [];
    for (const name of names) values.push(await waitForAnnotation(kc, name));
    assert.equal(new Set(values).size, names.length);
    // 18 pods in a row are a burst: a surplus looked ahead for goes back after the hold-down.
    await waitFor('two prefixes once settled', async () => (primaryEni(sim, INSTANCES['win-deno']).prefixes.length === 2 ? true : undefined));
    await checkInvariants(kc, sim, INSTANCES);
    assert.match(await ctl.metrics(), /winprefix_pod_annotation_latency_seconds_count \d+/);
    assert.equal(metricValue(await ctl.metrics(), 'winprefix_leader'), 1);
    await deleteAllPods(kc);
    await waitForIdlePool(kc, sim, 'win-deno', INSTANCES['win-deno'], { prefixes: 1, secondaryIps: 0 });
    assert.match(ctl.proc.tail(200), /"runtime":"deno /);
  });
});
