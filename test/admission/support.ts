/**
 * @module
 * Both forms of the admission rules on one real kube-apiserver, side by side: the shipped webhook
 * registrations pointed at our admission server (run here, in-process, with the real handlers and
 * the real ConfigMap source), and the shipped admission policies. Each form is scoped to its own
 * namespace, so the same request can be sent through either and the answers compared.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClusterConfigSource, type ClusterConfigSource } from '../../pkg/adapters/kube/config-source.ts';
import { guardPodAnnotation, mutatePod, MUTATE_POD_PATH, startAdmissionServer, VALIDATE_POD_PATH, type RunningServer } from '../../pkg/adapters/http/admission.ts';
import { DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE } from '../../pkg/core/contract.ts';
import { createLogger } from '../../pkg/support/log.ts';
import { createOrReplaceObjects } from '../harness/cluster-objects.ts';
import type { ControlPlane } from '../harness/control-plane.ts';

/** The controller's identity in these tests (a client certificate user). */
export const CONTROLLER_USER = 'winprefix-controller-test';
export const CONFIG_MAP = { namespace: DEFAULT_CONFIGMAP_NAMESPACE, name: DEFAULT_CONFIGMAP_NAME };

export interface WebhookServer extends RunningServer {
  config: ClusterConfigSource;
  /** Reviews answered, by path. */
  calls: Record<string, number>;
  stop(): Promise<void>;
}

/**
 * Our admission server as `controller run` wires it (app.ts): the handlers read the live ConfigMap
 * through the same source, and the guard admits CONTROLLER_USER.
 */
export async function startWebhookServer(plane: ControlPlane): Promise<WebhookServer> {
  const kc = plane.kubeConfig();
  const log = createLogger({ level: 'error' });
  const config = startClusterConfigSource({ kc, core: kc.makeApiClient(CoreV1Api), ref: CONFIG_MAP, log });
  const certDir = mkdtempSync(join(tmpdir(), 'winprefix-admission-certs-'));
  cpSync((await plane.webhookServing()).certDir, certDir, { recursive: true });
  const calls: Record<string, number> = { [MUTATE_POD_PATH]: 0, [VALIDATE_POD_PATH]: 0 };
  const server = await startAdmissionServer({
    host: '127.0.0.1',
    port: 0,
    certDir,
    log,
    handlers: {
      [MUTATE_POD_PATH]: (r) => {
        calls[MUTATE_POD_PATH]!++;
        return mutatePod(r, { ipamEnabled: () => config.current().config.ipamEnabled });
      },
      [VALIDATE_POD_PATH]: (r) => {
        calls[VALIDATE_POD_PATH]!++;
        return guardPodAnnotation(r, { controllerUsernames: [CONTROLLER_USER], enabled: () => !config.synced() || config.current().config.ipamEnabled });
      },
    },
  });
  let stopped: Promise<void> | undefined;
  return {
    ...server,
    config,
    calls,
    close: () => server.close(),
    stop: () => {
      stopped ??= (async () => {
        await server.close();
        await config.stop();
        rmSync(certDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

type Obj = Record<string, unknown> & { kind: string; spec?: Record<string, unknown>; webhooks?: Array<Record<string, unknown>> };

/**
 * Limits shipped admission objects to one namespace (webhooks by namespaceSelector, policies by
 * their binding's matchResources), so both forms can be installed at once without overlapping.
 * The rules themselves are left exactly as shipped.
 */
export function scopedTo(namespace: string, objects: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const selector = { matchLabels: { 'kubernetes.io/metadata.name': namespace } };
  return (structuredClone(objects) as Obj[]).map((o) => {
    if (o.kind.endsWith('WebhookConfiguration')) for (const w of o.webhooks ?? []) w.namespaceSelector = selector;
    else if (o.kind.endsWith('PolicyBinding')) o.spec = { ...o.spec, matchResources: { namespaceSelector: selector } };
    return o;
  });
}

/** Writes the IPAM ConfigMap (undefined deletes it). */
export async function setIpamConfigMap(kc: KubeConfig, data: Record<string, string> | undefined): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  if (data === undefined) {
    await core.deleteNamespacedConfigMap(CONFIG_MAP).catch((err: { code?: number }) => {
      if (err.code !== 404) throw err;
    });
    return;
  }
  await createOrReplaceObjects(kc, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...CONFIG_MAP }, data }]);
}

/** The part of an API server denial that the rule wrote (after the webhook's or policy's name). */
export function ruleMessage(serverMessage: string): string {
  const m = /denied (?:the )?request: (.*)$/s.exec(serverMessage);
  return m ? m[1]! : serverMessage;
}
