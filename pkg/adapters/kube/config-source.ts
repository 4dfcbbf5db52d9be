/**
 * @module
 * The cluster IPAM configuration, live: a reflector on the one ConfigMap, parsed once per change
 * into a ClusterIpamConfig (pkg/ipam/config). Every replica runs it, because the webhooks need to
 * know whether IPAM is on; the leader's reconcilers subscribe to changes. A missing ConfigMap
 * is read as an empty one (IPAM off), as upstream does.
 */
import type { CoreV1Api, KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { resolveClusterConfig } from '../../core/ipam/config.ts';
import type { ClusterIpamConfig } from '../../core/ipam/types.ts';
import type { Logger } from '../../support/log.ts';
import type { Clock } from '../../support/clock.ts';
import { startReflector, type Reflector } from './reflector.ts';

export interface ConfigMapRef {
  namespace: string;
  name: string;
}

export interface ConfigSnapshot {
  config: ClusterIpamConfig;
  ref: string;
  /** The ConfigMap's uid, for events about it; undefined when it does not exist. */
  uid: string | undefined;
}

export interface ClusterConfigSource {
  current(): ConfigSnapshot;
  synced(): boolean;
  /** Called after every change of the parsed config; returns an unsubscribe function. */
  subscribe(listener: (snapshot: ConfigSnapshot) => void): () => void;
  stop(): Promise<void>;
}

interface ConfigMapView {
  name: string;
  uid: string;
  data: Record<string, string> | undefined;
}

export function startClusterConfigSource(o: { kc: KubeConfig; core: Pick<CoreV1Api, 'listNamespacedConfigMap'>; ref: ConfigMapRef; log: Logger; clock?: Clock }): ClusterConfigSource {
  const refText = `${o.ref.namespace}/${o.ref.name}`;
  const listeners = new Set<(s: ConfigSnapshot) => void>();
  let snapshot: ConfigSnapshot = { config: resolveClusterConfig(undefined), ref: refText, uid: undefined };
  let key = JSON.stringify(snapshot.config);
  const fieldSelector = `metadata.name=${o.ref.name}`;

  const apply = (view: ConfigMapView | undefined) => {
    const config = view ? resolveClusterConfig(view.data ?? {}) : resolveClusterConfig(undefined);
    const next = { config, ref: refText, uid: view?.uid };
    const nextKey = JSON.stringify(config);
    snapshot = next;
    if (nextKey === key) return;
    key = nextKey;
    o.log.info('cluster IPAM config changed', {
      configMap: refText,
      found: config.found,
      ipamEnabled: config.ipamEnabled,
      prefixDelegationEnabled: config.prefixDelegationEnabled,
      problems: config.problems,
    });
    for (const l of listeners) l(next);
  };

  const reflector: Reflector<ConfigMapView> = startReflector<V1ConfigMap, ConfigMapView>({
    kc: o.kc,
    path: `/api/v1/namespaces/${o.ref.namespace}/configmaps`,
    fieldSelector,
    list: () => o.core.listNamespacedConfigMap({ namespace: o.ref.namespace, fieldSelector }),
    transform: (cm) => ({ name: cm.metadata?.name ?? '', uid: cm.metadata?.uid ?? '', data: cm.data }),
    key: (v) => v.name,
    onUpsert: (v) => apply(v),
    onDelete: () => apply(undefined),
    log: o.log,
    ...(o.clock ? { clock: o.clock } : {}),
  });

  return {
    current: () => snapshot,
    synced: () => reflector.synced(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => reflector.stop(),
  };
}
