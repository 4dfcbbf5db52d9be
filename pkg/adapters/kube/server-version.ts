/**
 * @module
 * The API server's version (GET /version, readable by every client, even unauthenticated ones on
 * most clusters), for choosing the admission form an install manifest uses.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { closeSharedConnections, createKubeClients, KubeApiError } from './client.ts';

export interface ServerVersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
}

/** One call with a short timeout: a render must not hang on an unreachable cluster. */
export async function readServerVersion(kc: KubeConfig, timeoutMs = 5_000): Promise<ServerVersionInfo> {
  const clients = createKubeClients(kc, { requestTimeoutMs: timeoutMs, userAgent: 'winprefix-manifests' });
  try {
    const info = await clients.version.getCode();
    return { major: info.major, minor: info.minor, gitVersion: info.gitVersion };
  } catch (err) {
    const e = KubeApiError.from(err);
    throw new Error(`GET ${kc.getCurrentCluster()?.server ?? ''}/version failed: ${e instanceof Error ? e.message : String(e)}`, { cause: err });
  } finally {
    await closeSharedConnections(kc, { force: true });
  }
}
