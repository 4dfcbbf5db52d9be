/**
 * @module
 * Kubernetes objects a real cluster would have, made by hand because the test control plane has no kubelet,
 * scheduler or controller-manager: Windows nodes with the status a kubelet reports, Windows pods already
 * bound to a node, namespaces, and admission webhook configurations.
 */
import {
  ApiException,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1MutatingWebhookConfiguration,
  type V1Node,
  type V1Pod,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import {
  INSTANCE_TYPE_LABEL,
  OS_LABEL,
  OS_LABEL_BETA,
  RESOURCE_NAME,
  WINDOWS,
  ZONE_LABEL,
} from '../../pkg/core/contract.ts';

export { waitFor, WaitTimeoutError, type WaitOptions } from './wait.ts';

export interface WindowsNodeOptions {
  name: string;
  instanceId: string;
  instanceType: string;
  zone: string;
  /** Default: the zone without its letter (us-west-2a -> us-west-2). */
  region?: string;
  /** Kubelet max-pods, reported as the `pods` capacity. Default 110. */
  maxPods?: number;
  /** The node's InternalIP (the instance's primary private address), when known. */
  internalIp?: string;
  labels?: Record<string, string>;
}

const REGION_LABEL = 'topology.kubernetes.io/region';
const BETA_INSTANCE_TYPE_LABEL = 'beta.kubernetes.io/instance-type';
const BETA_ZONE_LABEL = 'failure-domain.beta.kubernetes.io/zone';

function isConflict(err: unknown): boolean {
  return err instanceof ApiException && err.code === 409;
}

/**
 * Creates a Windows node as kubelet and the AWS cloud provider would register it, then writes its status
 * (capacity, allocatable, Ready) through the status subresource, as kubelet does: with a strategic merge
 * patch, so a controller that annotated the node or advertised capacity in between is neither a conflict
 * nor overwritten.
 */
export async function createWindowsNode(kc: KubeConfig, o: WindowsNodeOptions): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  const region = o.region ?? o.zone.replace(/[a-z]$/, '');
  await core.createNode({
    body: {
      metadata: {
        name: o.name,
        labels: {
          [OS_LABEL]: WINDOWS,
          [OS_LABEL_BETA]: WINDOWS,
          'kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': o.name,
          [INSTANCE_TYPE_LABEL]: o.instanceType,
          [BETA_INSTANCE_TYPE_LABEL]: o.instanceType,
          [ZONE_LABEL]: o.zone,
          [BETA_ZONE_LABEL]: o.zone,
          [REGION_LABEL]: region,
          ...o.labels,
        },
      },
      spec: { providerID: `aws:///${o.zone}/${o.instanceId}` },
    },
  });
  const now = new Date();
  const resources = { cpu: '4', memory: '16Gi', 'ephemeral-storage': '50Gi', pods: String(o.maxPods ?? 110) };
  const addresses = [
    ...(o.internalIp ? [{ type: 'InternalIP', address: o.internalIp }] : []),
    { type: 'Hostname', address: o.name },
  ];
  return await core.patchNodeStatus(
    {
      name: o.name,
      body: {
        status: {
          capacity: resources,
          allocatable: resources,
          addresses,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'kubelet is posting ready status',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
          nodeInfo: {
            architecture: 'amd64',
            operatingSystem: WINDOWS,
            osImage: 'Windows Server 2022 Datacenter',
            kernelVersion: '10.0.20348.2227',
            kubeletVersion: 'v1.36.3',
            kubeProxyVersion: '',
            containerRuntimeVersion: 'containerd://1.7.20',
            machineID: o.instanceId,
            systemUUID: o.instanceId,
            bootID: o.instanceId,
          },
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
}

export interface WindowsPodOptions {
  name: string;
  /** Default "default". */
  namespace?: string;
  /** Set directly, as a scheduler binding would (there is no scheduler). */
  nodeName?: string;
  /** Ask for one `vpc.amazonaws.com/PrivateIPv4Address`, as the mutating webhook would add. Default false. */
  requestIp?: boolean;
  /** Add nodeSelector kubernetes.io/os=windows. Default true. */
  nodeSelector?: boolean;
  hostNetwork?: boolean;
  labels?: Record<string, string>;
}

export async function createWindowsPod(kc: KubeConfig, o: WindowsPodOptions): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = o.namespace ?? 'default';
  const ipResource = o.requestIp ? { [RESOURCE_NAME]: '1' } : undefined;
  return await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: o.name, namespace, labels: o.labels },
      spec: {
        nodeName: o.nodeName,
        nodeSelector: (o.nodeSelector ?? true) ? { [OS_LABEL]: WINDOWS } : undefined,
        hostNetwork: o.hostNetwork,
        // No kubelet waits for a graceful stop, so deletes are immediate in tests anyway.
        terminationGracePeriodSeconds: 0,
        tolerations: [{ key: 'os', operator: 'Equal', value: WINDOWS, effect: 'NoSchedule' }],
        containers: [
          {
            name: 'app',
            image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022',
            command: ['ping', '-t', 'localhost'],
            resources: ipResource ? { requests: ipResource, limits: ipResource } : undefined,
          },
        ],
      },
    },
  });
}

/**
 * Deletes a pod at once. Without a kubelet, a graceful delete of a bound pod would leave it terminating forever.
 */
export async function deletePodNow(kc: KubeConfig, name: string, namespace = 'default'): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 404)) throw err;
  }
}

export async function ensureNamespace(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
}

type WebhookConfiguration =
  | (V1MutatingWebhookConfiguration & { kind: 'MutatingWebhookConfiguration' })
  | (V1ValidatingWebhookConfiguration & { kind: 'ValidatingWebhookConfiguration' });

function asWebhookConfiguration(object: object): WebhookConfiguration {
  const o = object as { kind?: unknown; metadata?: { name?: unknown } };
  if (o.kind !== 'MutatingWebhookConfiguration' && o.kind !== 'ValidatingWebhookConfiguration') {
    throw new TypeError(
      `installWebhookConfigurations takes MutatingWebhookConfiguration and ValidatingWebhookConfiguration ` +
        `objects; got kind ${JSON.stringify(o.kind)}`,
    );
  }
  if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') {
    throw new TypeError(`a ${o.kind} needs metadata.name`);
  }
  return object as WebhookConfiguration;
}

/** Creates each configuration, or replaces it when one of that name exists. Callers set url and caBundle. */
export async function installWebhookConfigurations(kc: KubeConfig, objects: object[]): Promise<void> {
  await createOrReplaceObjects(kc, objects.map(asWebhookConfiguration).map((o) => ({ apiVersion: 'admissionregistration.k8s.io/v1', ...o })));
}

/**
 * Creates each object, or replaces the one of the same kind and name (any kind the API server serves, e.g. the
 * RBAC objects of the install manifest). Objects are applied in order, so put namespaces first.
 */
export async function createOrReplaceObjects(kc: KubeConfig, objects: object[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const object of objects as KubernetesObject[]) {
    if (!object.apiVersion || !object.kind || !object.metadata?.name) {
      throw new TypeError(`createOrReplaceObjects needs apiVersion, kind and metadata.name; got ${JSON.stringify(object).slice(0, 200)}`);
    }
    try {
      await api.create(object);
    } catch (err) {
      if (!isConflict(err)) throw err;
      const existing = await api.read({
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: object.metadata.namespace
          ? { name: object.metadata.name, namespace: object.metadata.namespace }
          : { name: object.metadata.name },
      });
      await api.replace({ ...object, metadata: { ...object.metadata, resourceVersion: existing.metadata?.resourceVersion } });
    }
  }
}
