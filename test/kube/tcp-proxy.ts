/**
 * @module
 * A loopback TCP forwarder put between a client and the real kube-apiserver, so tests can cut
 * every connection (a watch that dies mid-stream), refuse new ones (an API server outage) and
 * count connections (to prove connection reuse). It forwards bytes only: TLS stays end to end,
 * and the API server's certificate (SAN 127.0.0.1) still matches.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Destroys every open connection (both directions). */
  cutAll(): void;
  /** While down, new connections are closed at once. */
  setDown(down: boolean): void;
  close(): Promise<void>;
  /** A copy of `kc` whose current cluster points at this proxy. */
  kubeConfigVia(kc: KubeConfig): KubeConfig;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let accepted = 0;
  let down = false;
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = createConnection(target);
    // Without this, Nagle plus delayed ACKs add ~40 ms to small request/response pairs.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    open.add(client);
    open.add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    accepted: () => accepted,
    cutAll: () => {
      for (const s of open) s.destroy();
      open.clear();
    },
    setDown: (d) => {
      down = d;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
    kubeConfigVia(kc) {
      const copy = new KubeConfig();
      const cluster = kc.getCurrentCluster()!;
      copy.loadFromOptions({
        clusters: kc.getClusters().map((c) => (c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${port}` } : c)),
        users: kc.getUsers(),
        contexts: kc.getContexts(),
        currentContext: kc.getCurrentContext(),
      });
      return copy;
    },
  };
}

/** host and port of a kubeconfig's current cluster. */
export function serverAddress(kc: KubeConfig): { host: string; port: number } {
  const u = new URL(kc.getCurrentCluster()!.server);
  return { host: u.hostname, port: Number(u.port) };
}
