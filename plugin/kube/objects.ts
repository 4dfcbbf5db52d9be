/**
 * @module
 * The Kubernetes objects the plugin reads, as the API server sends them (JSON: timestamps are RFC 3339
 * strings), limited to the fields the plugin looks at. Every field is optional, as on the wire: a reader
 * must cope with what a hand-made or older object lacks.
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  resourceVersion?: string;
  deletionTimestamp?: string;
  /** Who last wrote which fields, and when (server-side apply's bookkeeping, kept for every write). */
  managedFields?: Array<{ manager?: string; operation?: string; time?: string; subresource?: string; fieldsV1?: Record<string, unknown> }>;
}

export interface KubeNode {
  metadata?: ObjectMeta;
  spec?: { providerID?: string; unschedulable?: boolean };
  status?: { capacity?: Record<string, string>; allocatable?: Record<string, string> };
}

export interface KubePod {
  metadata?: ObjectMeta;
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    nodeSelector?: Record<string, string>;
    affinity?: {
      nodeAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: {
          nodeSelectorTerms?: Array<{ matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }> }>;
        };
      };
    };
    schedulerName?: string;
    containers?: Array<{ name?: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }>;
  };
  status?: {
    phase?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string; lastTransitionTime?: string }>;
    containerStatuses?: Array<{ name?: string; ready?: boolean; state?: { running?: { startedAt?: string }; waiting?: { reason?: string; message?: string }; terminated?: { reason?: string } } }>;
  };
}

export interface KubeEvent {
  metadata?: ObjectMeta;
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  source?: { component?: string };
  reportingComponent?: string;
}

export interface KubeConfigMap {
  metadata?: ObjectMeta;
  data?: Record<string, string>;
}

export interface KubeList<T> {
  items: T[];
  metadata?: { continue?: string; resourceVersion?: string };
}
