/**
 * @module
 * The controller's least-privilege RBAC: exactly the verbs and resources it uses, in one place.
 * The install manifest renders these rules and the RBAC integration test runs the controller as
 * an identity bound to them, so a call missing here fails that test with a 403.
 */

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Cluster-wide needs: nodes and pods anywhere, events on nodes, pods and the ConfigMap, reviews for /metrics. */
export function controllerClusterRules(): PolicyRule[] {
  return [
    // Node reflector; the status annotation is a merge patch on the node. Nothing reads one node
    // by name (the cache serves reads), so no `get`.
    { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch', 'patch'] },
    // Advertised capacity goes through the status subresource.
    { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
    // Pod reflector; the IP annotation is a patch guarded by the pod's UID.
    { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch', 'patch'] },
    // Our events (core/v1, so kubectl describe shows them; repeats are patched) on pods, nodes and
    // the ConfigMap; watching them tells us which nodes another IPAM controller claims.
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'list', 'watch'] },
    // /metrics callers: whose bearer token is this (TokenReview), may they get /metrics (SubjectAccessReview).
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
  ];
}

export interface NonResourcePolicyRule {
  nonResourceURLs: string[];
  verbs: string[];
}

/** The ClusterRole a scraper (Prometheus's service account) is bound to; 401 and 403 answers name it. */
export const METRICS_READER_ROLE = 'winprefix-metrics-reader';

/** What that role allows: reading /metrics, nothing else. */
export function metricsReaderRules(): NonResourcePolicyRule[] {
  return [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }];
}

/** In the ConfigMap's namespace: that one ConfigMap, through a reflector with a metadata.name field selector. */
export function configMapRules(name: string): PolicyRule[] {
  return [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'], resourceNames: [name] }];
}

/**
 * In the leader-election namespace: the Lease. `create` cannot be limited by name in RBAC.
 * Renewals are read + replace with the read resourceVersion (get, update), never patch.
 */
export function leaderElectionRules(leaseName: string): PolicyRule[] {
  return [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [leaseName] },
  ];
}
