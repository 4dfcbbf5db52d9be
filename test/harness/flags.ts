/**
 * @module
 * The command lines of etcd and kube-apiserver for the test control plane: envtest's defaults
 * (controller-runtime `pkg/internal/testing/controlplane/{etcd,apiserver}.go`) plus a few start-up trims.
 */

/** envtest's service range; the API server takes 10.0.0.1 for the `kubernetes` Service. */
export const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24';

export function etcdFlags(o: { dataDir: string; clientUrl: string; peerUrl: string }): string[] {
  return [
    '--name=default',
    `--data-dir=${o.dataDir}`,
    `--listen-client-urls=${o.clientUrl}`,
    `--advertise-client-urls=${o.clientUrl}`,
    `--listen-peer-urls=${o.peerUrl}`,
    `--initial-advertise-peer-urls=${o.peerUrl}`,
    `--initial-cluster=default=${o.peerUrl}`,
    // Test data is throwaway: skipping fsync is envtest's default and the largest speed-up for etcd.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export interface ApiserverFlagInputs {
  etcdUrl: string;
  port: number;
  /** https://127.0.0.1:PORT, also the service-account issuer. */
  server: string;
  certDir: string;
  servingCertPath: string;
  servingKeyPath: string;
  clientCaPath: string;
  serviceAccountPublicKeyPath: string;
  serviceAccountPrivateKeyPath: string;
}

export function apiserverFlags(o: ApiserverFlagInputs): string[] {
  return [
    `--etcd-servers=${o.etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${o.port}`,
    `--cert-dir=${o.certDir}`,
    `--tls-cert-file=${o.servingCertPath}`,
    `--tls-private-key-file=${o.servingKeyPath}`,
    `--client-ca-file=${o.clientCaPath}`,
    `--service-account-issuer=${o.server}/`,
    `--service-account-key-file=${o.serviceAccountPublicKeyPath}`,
    `--service-account-signing-key-file=${o.serviceAccountPrivateKeyPath}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    // Otherwise every namespace needs a default ServiceAccount, which no controller here creates.
    '--disable-admission-plugins=ServiceAccount',
    // Start-up speed: no flow-control bootstrap objects, no profiling endpoints, no endpoint reconciler
    // for the `kubernetes` Service (one API server, nothing reads them).
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--endpoint-reconciler-type=none',
    // Stop fast: nothing depends on a graceful drain in tests.
    '--shutdown-delay-duration=0s',
    '--shutdown-watch-termination-grace-period=0s',
  ];
}

/** Merges flag lists: a later `--name=...` replaces an earlier one with the same name. */
export function mergeFlags(defaults: string[], overrides: string[]): string[] {
  const byName = new Map<string, string>();
  for (const flag of [...defaults, ...overrides]) byName.set(flag.split('=')[0] ?? flag, flag);
  return [...byName.values()];
}
