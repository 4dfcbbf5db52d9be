/**
 * @module
 * What the sandbox puts into its fresh cluster: the IPAM ConfigMap, one Windows node per simulated Windows
 * instance, and the controller wired as in a real install (its own identity with the install manifest's RBAC,
 * its webhooks registered with a URL and caBundle).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigKeys, DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE } from '../../pkg/core/contract.ts';
import type { World } from '../../pkg/ec2sim/world.ts';
import { DEFAULT_INSTALL, rbacObjects } from '../../pkg/manifests/install.ts';
import { webhookConfigurations } from '../../pkg/manifests/webhooks.ts';
import { createOrReplaceObjects, createWindowsNode, ensureNamespace, installWebhookConfigurations } from '../../test/harness/cluster-objects.ts';
import type { ControlPlane } from '../../test/harness/control-plane.ts';
import { startControllerProcess, type ControllerProcess } from './controller-process.ts';

/** The identity the controller runs as: the ServiceAccount its install manifest creates. */
const CONTROLLER_SA = { namespace: DEFAULT_INSTALL.namespace, name: 'winprefix-controller' };

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
 * missing permission shows as a 403), then registers its webhooks at its 127.0.0.1 port.
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
  const serving = await o.plane.webhookServing();
  const controller = await startControllerProcess({
    bundlePath: o.bundlePath,
    kubeconfigPath,
    ec2Endpoint: o.ec2Endpoint,
    region: o.region,
    clusterName: o.clusterName,
    certDir: serving.certDir,
    logDir: o.plane.dir,
    // As the install manifest's Deployment passes them, so its RBAC covers the Lease.
    extraArgs: [
      `--leader-election-namespace=${DEFAULT_INSTALL.namespace}`,
      `--leader-election-id=${DEFAULT_INSTALL.leaseName}`,
      `--configmap=${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME}`,
    ],
  });
  try {
    await installWebhookConfigurations(
      kc,
      webhookConfigurations({ kind: 'url', baseUrl: `https://127.0.0.1:${controller.webhookPort}`, caBundle: serving.caBundle }),
    );
  } catch (err) {
    await controller.process.stop();
    throw err;
  }
  return controller;
}
