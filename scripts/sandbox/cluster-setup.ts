/**
 * @module
 * What the sandbox puts into its fresh cluster: the IPAM ConfigMap, the admission policies, one Windows node per
 * simulated Windows instance, and the controller wired as in a real install on this Kubernetes 1.36 API server
 * (its own identity with the install manifest's RBAC, and no webhook server: the API server runs the admission
 * rules itself).
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ConfigKeys, DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE, OS_LABEL, RESOURCE_NAME, WINDOWS } from '../../pkg/core/contract.ts';
import type { World } from '../../pkg/ec2sim/world.ts';
import { admissionObjects, DEFAULT_INSTALL, rbacObjects, type InstallOptions } from '../../pkg/manifests/install.ts';
import { chooseAdmissionForm, describeForm } from '../../pkg/manifests/admission-form.ts';
import { createOrReplaceObjects, createWindowsNode, ensureNamespace, waitFor } from '../../test/harness/cluster-objects.ts';
import type { ControlPlane } from '../../test/harness/control-plane.ts';
import { startControllerProcess, type ControllerProcess } from './controller-process.ts';

/** The identity the controller runs as: the ServiceAccount its install manifest creates. */
const CONTROLLER_SA = { namespace: DEFAULT_INSTALL.namespace, name: 'winprefix-controller' };

/** The install as `controller manifests --admission policy` renders it: both rules run inside the API server. */
const SANDBOX_INSTALL: InstallOptions = { ...DEFAULT_INSTALL, admission: chooseAdmissionForm('policy', undefined, 'the sandbox') };

export interface SandboxNode {
  name: string;
  instanceId: string;
  instanceType: string;
}

/** AWS names nodes after the instance's private address. */
export function nodeNameFor(privateIp: string, region: string): string {
  return `ip-${privateIp.replaceAll('.', '-')}.${region}.compute.internal`;
}

/** The ConfigMap turning Windows IPAM and prefix delegation on. */
export async function writeIpamConfig(kc: KubeConfig): Promise<void> {
  await createOrReplaceObjects(kc, [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: DEFAULT_CONFIGMAP_NAME, namespace: DEFAULT_CONFIGMAP_NAMESPACE },
      data: { [ConfigKeys.enableWindowsIpam]: 'true', [ConfigKeys.enableWindowsPrefixDelegation]: 'true' },
    },
  ]);
}

/**
 * The admission policies of the install manifest (pod mutation and IP-annotation guard), then a wait until the
 * API server applies them: it learns of policies through an informer, and a pod created before would miss its
 * resource request and never get an address.
 */
export async function installAdmissionPolicies(kc: KubeConfig, namespace: string): Promise<string> {
  await createOrReplaceObjects(kc, admissionObjects(SANDBOX_INSTALL));
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor('the API server to apply the pod mutation policy', async () => {
    const pod = await core.createNamespacedPod({
      namespace,
      dryRun: 'All',
      body: { metadata: { name: 'mutation-probe' }, spec: { nodeSelector: { [OS_LABEL]: WINDOWS }, containers: [{ name: 'probe', image: 'probe' }] } },
    });
    return pod.spec?.containers[0]?.resources?.requests?.[RESOURCE_NAME] === '1' ? true : undefined;
  }, { timeoutMs: 20_000 });
  return describeForm(SANDBOX_INSTALL.admission);
}

/** One Ready Windows node per Windows instance in the world. */
export async function createNodesForWorld(kc: KubeConfig, world: World, region: string): Promise<SandboxNode[]> {
  const nodes: SandboxNode[] = [];
  for (const i of world.instances().filter((x) => x.platform === 'windows')) {
    const name = nodeNameFor(i.privateIp, region);
    await createWindowsNode(kc, {
      name,
      instanceId: i.instanceId,
      instanceType: i.instanceType,
      zone: i.availabilityZone,
      region,
      internalIp: i.privateIp,
    });
    nodes.push({ name, instanceId: i.instanceId, instanceType: i.instanceType });
  }
  return nodes;
}

/**
 * Starts dist/controller.js as exactly the identity and RBAC its install manifest grants (not as admin, so a
 * missing permission shows as a 403). It serves no webhooks: the admission policies do that work.
 */
export async function startSandboxController(o: {
  plane: ControlPlane;
  bundlePath: string;
  ec2Endpoint: string;
  region: string;
  clusterName: string;
}): Promise<ControllerProcess> {
  const kc = o.plane.kubeConfig();
  await ensureNamespace(kc, CONTROLLER_SA.namespace);
  await createOrReplaceObjects(kc, rbacObjects(DEFAULT_INSTALL, { kind: 'ServiceAccount', ...CONTROLLER_SA }));
  const kubeconfigPath = await o.plane.mintKubeconfig({
    name: `system:serviceaccount:${CONTROLLER_SA.namespace}:${CONTROLLER_SA.name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${CONTROLLER_SA.namespace}`, 'system:authenticated'],
  });
  return await startControllerProcess({
    bundlePath: o.bundlePath,
    kubeconfigPath,
    ec2Endpoint: o.ec2Endpoint,
    region: o.region,
    clusterName: o.clusterName,
    logDir: o.plane.dir,
    // As the install manifest's Deployment passes them, so its RBAC covers the Lease.
    extraArgs: [
      `--leader-election-namespace=${DEFAULT_INSTALL.namespace}`,
      `--leader-election-id=${DEFAULT_INSTALL.leaseName}`,
      `--configmap=${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME}`,
    ],
  });
}
