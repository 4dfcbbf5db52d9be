/**
 * Least privilege, for real: the controller runs as a user bound to exactly the RBAC rules the
 * install manifest ships (pkg/manifests), through a workflow that touches every kind of call it
 * makes; any 403 fails the test. The annotation guard, registered from the shipped webhook
 * configuration, stops another user from setting the IP annotation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions } from '@kubernetes/client-node';
import { POD_IP_ANNOTATION } from '../../pkg/core/contract.ts';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { DEFAULT_INSTALL, rbacObjects } from '../../pkg/manifests/install.ts';
import { createOrReplaceObjects, createWindowsPod, deletePodNow, ensureNamespace, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import {
  PD_ON,
  checkInvariants,
  deleteAllPods,
  addManagedNode,
  setIpamConfig,
  startStack,
  waitForAnnotation,
  waitForEvent,
  waitForIdlePool,
  world,
  type ControllerProcess,
  type Stack,
} from './support.ts';

const plane = useControlPlane();
const CONTROLLER_USER = 'winprefix-rbac-test';
const INSTALL = { ...DEFAULT_INSTALL, namespace: 'winprefix-system' };
const INSTANCES = { 'win-rbac': 'i-0c00000000000000a' };

describe('controller RBAC and annotation guard', () => {
  let sim: Ec2Simulator;
  let kc: KubeConfig;
  let ctl: ControllerProcess;
  let stack: Stack | undefined;

  before(async () => {
    kc = plane().kubeConfig();
    await ensureNamespace(kc, INSTALL.namespace);
    await createOrReplaceObjects(kc, rbacObjects(INSTALL, { kind: 'User', name: CONTROLLER_USER }));
    const kubeconfigPath = await plane().mintKubeconfig({ name: CONTROLLER_USER });
    stack = await startStack({
      plane: plane(),
      // The controller's own webhook server, as installs on servers before 1.36 run it; the guard exempts the controller's identity.
      admission: 'webhook',
      controllerUsername: CONTROLLER_USER,
      world: world([{ id: INSTANCES['win-rbac'], type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: '10.20.0.30', platform: 'windows' }]),
      controller: {
        name: 'rbac',
        kubeconfigPath,
        args: [`--leader-election-namespace=${INSTALL.namespace}`, `--leader-election-id=${INSTALL.leaseName}`],
      },
    });
    sim = stack.sim;
    ctl = stack.ctl;
  });

  after(async () => {
    await stack?.stop();
  });

  test('the workflow runs as the manifest identity without a single forbidden call', async () => {
    await addManagedNode(kc, { name: 'win-rbac', instanceId: INSTANCES['win-rbac'], capacity: 144 });
    for (let i = 0; i < 5; i++) await createWindowsPod(kc, { name: `r-${i}`, nodeName: 'win-rbac' });
    for (let i = 0; i < 5; i++) await waitForAnnotation(kc, `r-${i}`);
    await waitForEvent(kc, { kind: 'Pod', name: 'r-0', namespace: 'default' }, 'ResourceAllocated');
    // Events on the ConfigMap (InvalidConfiguration) need the same rights as any other event.
    await setIpamConfig(kc, { ...PD_ON, 'windows-warm-ip-target': 'x' });
    await waitForEvent(kc, { kind: 'ConfigMap', name: 'amazon-vpc-cni', namespace: 'kube-system' }, 'InvalidConfiguration');
    await setIpamConfig(kc, PD_ON);
    await deletePodNow(kc, 'r-0');
    await checkInvariants(kc, sim, INSTANCES);
    await deleteAllPods(kc);
    await waitForIdlePool(kc, sim, 'win-rbac', INSTANCES['win-rbac'], { prefixes: 1, secondaryIps: 0 });
    const log = readFileSync(ctl.proc.logPath, 'utf8');
    const forbidden = log.split('\n').filter((l) => /forbidden|"code":403|status 403/i.test(l));
    assert.deepEqual(forbidden, [], 'the controller made a call its RBAC does not allow');
  });

  test('the annotation guard rejects a user who sets the IP annotation, and allows the controller', async () => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({ body: { metadata: { name: 'pod-editor' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'create', 'patch', 'update'] }] } });
    await rbac.createClusterRoleBinding({
      body: { metadata: { name: 'mallory-pod-editor' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-editor' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory' }] },
    });
    const malloryKc = new KubeConfig();
    malloryKc.loadFromString(readFileSync(await plane().mintKubeconfig({ name: 'mallory' }), 'utf8'));
    const mallory = malloryKc.makeApiClient(CoreV1Api);
    await createWindowsPod(kc, { name: 'guarded', nodeName: 'win-rbac' });
    const controllerValue = await waitForAnnotation(kc, 'guarded');
    await assert.rejects(
      mallory.patchNamespacedPod(
        { namespace: 'default', name: 'guarded', body: { metadata: { annotations: { [POD_IP_ANNOTATION]: '10.20.0.99/32' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      (err: { body?: string }) => /managed by the IPAM controller/.test(String(err.body)) && /mallory/.test(String(err.body)),
    );
    await assert.rejects(
      mallory.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: 'forged', annotations: { [POD_IP_ANNOTATION]: '10.20.0.98/32' } },
          spec: { nodeName: 'win-rbac', containers: [{ name: 'c', image: 'x' }] },
        },
      }),
      (err: { body?: string }) => /managed by the IPAM controller/.test(String(err.body)),
    );
    const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'guarded', namespace: 'default' });
    assert.equal(pod.metadata?.annotations?.[POD_IP_ANNOTATION], controllerValue, 'the annotation is still the controller\'s');
    await waitFor('guarded pod gone', async () => {
      await deletePodNow(kc, 'guarded');
      return true;
    });
  });
});
