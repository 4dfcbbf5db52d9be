/**
 * @module
 * Kubeconfig files for client-certificate identities, with the certificates embedded so the file is
 * self-contained (kubectl, client-node and the controller all read it).
 */
import { writeFile } from 'node:fs/promises';
import { dump } from 'js-yaml';

export interface KubeconfigIdentity {
  server: string;
  caPem: string;
  userName: string;
  certPem: string;
  keyPem: string;
  /** Context and cluster name; kubectl shows it. */
  contextName?: string;
}

const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

export function renderKubeconfig(id: KubeconfigIdentity): string {
  const cluster = id.contextName ?? 'winprefix-test';
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: id.server, 'certificate-authority-data': b64(id.caPem) } }],
    users: [
      {
        name: id.userName,
        user: { 'client-certificate-data': b64(id.certPem), 'client-key-data': b64(id.keyPem) },
      },
    ],
    contexts: [{ name: cluster, context: { cluster, user: id.userName } }],
    'current-context': cluster,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, id: KubeconfigIdentity): Promise<string> {
  // 0600: it holds a private key, and kubectl warns about group/world-readable kubeconfigs.
  await writeFile(path, renderKubeconfig(id), { mode: 0o600 });
  return path;
}
