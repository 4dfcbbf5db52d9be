/**
 * @module
 * The health and metrics listeners of `controller run`, exposed no further than asked: both bind
 * to loopback unless a flag says otherwise, and /metrics bound beyond loopback asks the API server
 * who the caller is and whether RBAC lets them read it (TokenReview + SubjectAccessReview), over
 * HTTPS when a certificate folder is given. Health stays unauthenticated: the kubelet probes it.
 */
import type { BindAddress } from '../support/bind-address.ts';
import type { Logger } from '../support/log.ts';
import { PROMETHEUS_CONTENT_TYPE, type MetricsRegistry } from '../support/metrics-registry.ts';
import { startProbeServer, type ProbeResult, type ProbeServer, type ProbeServerOptions } from '../adapters/http/probes.ts';
import { createDelegatedAuth } from '../adapters/http/delegated-auth.ts';
import { createAccessReviewer } from '../adapters/kube/access-review.ts';
import type { KubeClients } from '../adapters/kube/client.ts';
import { METRICS_READER_ROLE } from '../manifests/rbac.ts';

export interface MetricsListen {
  /** undefined: no metrics listener (`--metrics-bind-address=0`). */
  bind: BindAddress | undefined;
  /** Callers need a bearer token that RBAC allows to `get /metrics`. */
  auth: boolean;
  /** HTTPS with tls.crt/tls.key from here; plain HTTP without. */
  certDir: string | undefined;
}

/** `--metrics-auth` when given, else on exactly when the listener is reachable from other machines. */
export function metricsAuthDefault(bind: BindAddress | undefined, given: boolean | undefined): boolean {
  return given ?? (bind !== undefined && !bind.loopback);
}

export async function startMetricsListener(o: {
  listen: MetricsListen;
  registry: MetricsRegistry;
  clients: Pick<KubeClients, 'authentication' | 'authorization'>;
  now: () => number;
  log: Logger;
}): Promise<ProbeServer | undefined> {
  const { bind, auth, certDir } = o.listen;
  if (!bind) {
    o.log.info('metrics listener off (--metrics-bind-address=0)');
    return undefined;
  }
  if (!auth && !bind.loopback) {
    o.log.warn(`/metrics on ${bind.text} answers anyone who can reach it (--metrics-auth=false): node names and pool sizes are readable without credentials; bind to 127.0.0.1 or turn authentication back on`);
  }
  if (auth && !certDir) {
    o.log.warn(`/metrics checks bearer tokens over plain HTTP on ${bind.text}: tokens cross the network readable; pass --metrics-cert-dir unless this network is trusted`);
  }
  const checker = auth ? createDelegatedAuth({ reviewer: createAccessReviewer(o.clients), now: o.now, log: o.log, readerRole: METRICS_READER_ROLE }) : undefined;
  const server = await listen('--metrics-bind-address', bind, {
    routes: { '/metrics': () => ({ status: 200, body: o.registry.render(), contentType: PROMETHEUS_CONTENT_TYPE }) },
    ...(certDir ? { tls: { certDir, log: o.log, purpose: { what: 'metrics', flag: '--metrics-cert-dir' } } } : {}),
    ...(checker
      ? {
          guard: async (request): Promise<ProbeResult | undefined> => {
            const d = await checker.check(request);
            return d.ok ? undefined : { status: d.status, body: d.body, ...(d.headers ? { headers: d.headers } : {}) };
          },
        }
      : {}),
  });
  o.log.info('metrics listening', { address: bind.text, port: server.port, scheme: certDir ? 'https' : 'http', authentication: auth ? 'TokenReview + SubjectAccessReview' : 'none' });
  return server;
}

export async function startHealthListener(o: { bind: BindAddress | undefined; ready: () => ProbeResult; log: Logger }): Promise<ProbeServer | undefined> {
  if (!o.bind) {
    o.log.info('health listener off (--health-probe-bind-address=0): liveness and readiness probes will fail');
    return undefined;
  }
  const server = await listen('--health-probe-bind-address', o.bind, {
    routes: {
      '/healthz': () => ({ status: 200, body: 'ok\n' }),
      '/readyz': o.ready,
    },
  });
  o.log.info('health probes listening', { address: o.bind.text, port: server.port });
  return server;
}

async function listen(flag: string, bind: BindAddress, o: Omit<ProbeServerOptions, 'host' | 'port'>): Promise<ProbeServer> {
  try {
    return await startProbeServer({ ...o, host: bind.host, port: bind.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw new Error(`${flag}=${bind.text}: cannot listen there (${code}: ${(err as Error).message}); pick another address or port`, { cause: err });
    }
    throw err;
  }
}
