/**
 * @module
 * A real Kubernetes control plane for tests and the local sandbox: etcd and kube-apiserver on free loopback
 * ports in a temporary folder, configured as envtest does (controller-runtime `pkg/internal/testing/controlplane`):
 * RBAC, client-certificate authentication with throwaway CAs, service-account keys, the ServiceAccount admission
 * plugin off. There is no controller-manager, scheduler or kubelet: tests play those parts themselves.
 */
import { generateKeyPair } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { resolveControlPlaneAssets } from './assets.ts';
import { issueCertificate, issueLoopbackServing } from './certs.ts';
import { registerCleanup } from './cleanup.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { apiserverFlags, etcdFlags, mergeFlags } from './flags.ts';
import { freeLoopbackPorts } from './ports.ts';
import { spawnLogged, type ManagedProcess } from './process.ts';
import { startWatchdog, type Watchdog } from './watchdog.ts';

export interface WebhookServing {
  /** Holds tls.crt, tls.key (cert-manager's file names) and ca.crt; the certificate covers 127.0.0.1 and localhost. */
  certDir: string;
  /** base64 of the CA's PEM: the `caBundle` of a webhook configuration. */
  caBundle: string;
}

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Admin identity: CN=admin, O=system:masters. */
  kubeconfigPath: string;
  /** The CA that signed the API server's serving certificate. */
  caPem: string;
  /** Temporary folder with certificates, etcd data and logs; removed by stop(). */
  dir: string;
  /** From the call to a healthy API server with its system namespaces, in ms. */
  startupMs: number;
  /** kube-apiserver's log file (inside dir). */
  apiserverLogPath: string;
  /** Process ids, for checks that nothing outlives stop(). */
  pids: { etcd: number; kubeApiserver: number };
  /** A client-node KubeConfig for the admin identity. */
  kubeConfig(): KubeConfig;
  /** Writes a kubeconfig for a client-certificate identity (CN=name, O=groups); no RBAC is granted. */
  mintKubeconfig(user: { name: string; groups?: string[] }): Promise<string>;
  /** A serving certificate for an admission webhook on 127.0.0.1 (made once per control plane). */
  webhookServing(): Promise<WebhookServing>;
  /** Stops kube-apiserver and etcd and removes dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartControlPlaneOptions {
  log?: (line: string) => void;
  /** Extra or replacement kube-apiserver flags, as `--name=value`; a flag given here replaces the default. */
  apiserverFlags?: string[];
  /** Default: KUBEBUILDER_CONTROLPLANE_START_TIMEOUT (seconds or a Go duration like "90s"), else 90 s. */
  startTimeoutMs?: number;
  /** Keep dir after stop (also WINPREFIX_KEEP_CONTROL_PLANE=1), for reading logs. */
  keepDir?: boolean;
}

export class ControlPlaneStartError extends Error {
  override name = 'ControlPlaneStartError';
  /** The failure was a port another process took between our pick and the bind. */
  portTaken = false;
}

const PORT_RETRIES = 3;

/** How long kube-apiserver gets after SIGTERM before SIGKILL (its shutdown steps take ~20 ms). */
const APISERVER_STOP_GRACE_MS = 300;

function parseDurationMs(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1_000;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((ok) => setTimeout(ok, ms));
}

/** Polls until `probe` returns true; fails early when one of the processes dies. */
async function pollUntil(o: {
  what: string;
  deadline: number;
  watch: ManagedProcess[];
  probe: () => Promise<boolean>;
}): Promise<void> {
  let lastError = '';
  for (let interval = 20; ; interval = Math.min(interval * 1.5, 250)) {
    const dead = o.watch.find((p) => p.hasExited());
    if (dead) {
      const why = dead.spawnError()?.message ?? `exited with ${await dead.exited}`;
      throw new ControlPlaneStartError(`${dead.name} ${why} while waiting for ${o.what}`);
    }
    try {
      if (await o.probe()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > o.deadline) {
      throw new ControlPlaneStartError(`timed out waiting for ${o.what}${lastError ? ` (last error: ${lastError})` : ''}`);
    }
    await sleep(interval);
  }
}

async function writeServiceAccountKeys(dir: string): Promise<{ publicPath: string; privatePath: string }> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const publicPath = join(dir, 'sa-signer.pub');
  const privatePath = join(dir, 'sa-signer.key');
  await Promise.all([writeFile(publicPath, publicKey), writeFile(privatePath, privateKey, { mode: 0o600 })]);
  return { publicPath, privatePath };
}

/**
 * Starts etcd and kube-apiserver. Ports are picked free and released before the processes bind them, so
 * another process can take one in between; a start that fails with "address already in use" is retried.
 */
export async function startControlPlane(opts: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof ControlPlaneStartError && err.portTaken) || attempt >= PORT_RETRIES) throw err;
      opts.log?.(`[control-plane] a port was taken by another process while starting; retrying (${attempt}/${PORT_RETRIES - 1})`);
    }
  }
}

async function startOnce(opts: StartControlPlaneOptions): Promise<ControlPlane> {
  const started = performance.now();
  const phases: string[] = [];
  const mark = (phase: string) => phases.push(`${phase} +${Math.round(performance.now() - started)}ms`);
  const log = opts.log ?? (() => {});
  const keepDir = opts.keepDir ?? process.env.WINPREFIX_KEEP_CONTROL_PLANE === '1';
  const startTimeoutMs =
    opts.startTimeoutMs ?? parseDurationMs(process.env.KUBEBUILDER_CONTROLPLANE_START_TIMEOUT) ?? 90_000;
  const assets = await resolveControlPlaneAssets({ log });
  mark('binaries');
  const dir = await mkdtemp(join(tmpdir(), 'winprefix-cp-'));
  const processes: ManagedProcess[] = [];
  let agent: Agent | undefined;
  let watchdog: Watchdog | undefined;
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // The API server first: it would otherwise log etcd connection errors while shutting down. It idles
      // about a second after its last shutdown step; all its state is in etcd, which gets a clean stop.
      for (const p of [...processes].reverse()) await p.stop(p.name === 'kube-apiserver' ? APISERVER_STOP_GRACE_MS : 5_000);
      watchdog?.disarm();
      await agent?.close().catch(() => {});
      if (!keepDir) await rm(dir, { recursive: true, force: true });
      unregister();
    })();
    return stopping;
  };
  const unregister = registerCleanup({
    async: stop,
    sync: () => {
      for (const p of processes) p.killNow();
      watchdog?.disarm();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  });

  try {
    const [etcdClientPort, etcdPeerPort, apiserverPort] = (await freeLoopbackPorts(3)) as [number, number, number];
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcdDataDir = join(dir, 'etcd');
    const certDir = join(dir, 'pki');
    await Promise.all([mkdir(etcdDataDir, { mode: 0o700 }), mkdir(certDir)]);

    // etcd needs no certificates, so it boots while openssl makes them.
    const etcd = spawnLogged({
      name: 'etcd',
      command: assets.etcd,
      logPath: join(dir, 'etcd.log'),
      args: etcdFlags({ dataDir: etcdDataDir, clientUrl: etcdUrl, peerUrl }),
    });
    processes.push(etcd);

    const [{ ca: servingCa, serving }, clientCa, saKeys] = await Promise.all([
      issueLoopbackServing({ dir: certDir, caName: 'winprefix-test-serving-ca', certFileName: 'apiserver.crt', keyFileName: 'apiserver.key' }),
      issueCertificate({ dir: certDir, fileStem: 'client-ca', commonName: 'winprefix-test-client-ca', usage: 'ca' }),
      writeServiceAccountKeys(certDir),
    ]);
    mark('certificates');
    const admin = await issueCertificate({
      dir: certDir,
      fileStem: 'admin',
      commonName: 'admin',
      organizations: ['system:masters'],
      issuer: clientCa,
      usage: 'client',
    });
    const server = `https://127.0.0.1:${apiserverPort}`;
    const kubeconfigPath = await writeKubeconfig(join(dir, 'admin.kubeconfig'), {
      server,
      caPem: servingCa.certPem,
      userName: 'admin',
      certPem: admin.certPem,
      keyPem: admin.keyPem,
    });
    agent = new Agent({ connect: { ca: servingCa.certPem, cert: admin.certPem, key: admin.keyPem } });
    const deadline = Date.now() + startTimeoutMs;

    const flags = mergeFlags(
      apiserverFlags({
        etcdUrl,
        port: apiserverPort,
        server,
        certDir,
        servingCertPath: serving.certPath,
        servingKeyPath: serving.keyPath,
        clientCaPath: clientCa.certPath,
        serviceAccountPublicKeyPath: saKeys.publicPath,
        serviceAccountPrivateKeyPath: saKeys.privatePath,
      }),
      opts.apiserverFlags ?? [],
    );
    const apiserver = spawnLogged({
      name: 'kube-apiserver',
      command: assets.kubeApiserver,
      logPath: join(dir, 'kube-apiserver.log'),
      args: flags,
    });
    processes.push(apiserver);
    watchdog = startWatchdog({ pids: processes.map((p) => p.pid), dir: keepDir ? undefined : dir });

    // kube-apiserver retries etcd while it starts, so both boot together; etcd's own check still comes first
    // so that an etcd failure is reported as one.
    await pollUntil({
      what: `etcd health at ${etcdUrl}/health`,
      deadline,
      watch: [etcd, apiserver],
      probe: async () => {
        const res = await request(`${etcdUrl}/health`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
        const body = (await res.body.json()) as { health?: string };
        return res.statusCode === 200 && body.health === 'true';
      },
    });
    mark('etcd healthy');

    const get = async (path: string) => {
      const res = await request(`${server}${path}`, { dispatcher: agent, headersTimeout: 5_000, bodyTimeout: 5_000 });
      return { status: res.statusCode, body: await res.body.text() };
    };
    await pollUntil({
      what: `kube-apiserver health at ${server}/healthz`,
      deadline,
      watch: [etcd, apiserver],
      probe: async () => {
        const r = await get('/healthz');
        return r.status === 200 && r.body.trim() === 'ok';
      },
    });
    mark('apiserver healthy');
    // /healthz is ok before the system namespaces exist; tests create objects in them at once.
    await pollUntil({
      what: 'the default and kube-system namespaces',
      deadline,
      watch: [etcd, apiserver],
      probe: async () =>
        (await get('/api/v1/namespaces/default')).status === 200 &&
        (await get('/api/v1/namespaces/kube-system')).status === 200,
    });
    const startupMs = Math.round(performance.now() - started);
    mark('namespaces');
    log(`[control-plane] kube-apiserver ${server} ready in ${startupMs} ms (${phases.join(', ')}; dir ${dir})`);

    let webhook: Promise<WebhookServing> | undefined;
    let minted = 0;
    return {
      server,
      kubeconfigPath,
      caPem: servingCa.certPem,
      dir,
      startupMs,
      apiserverLogPath: apiserver.logPath,
      pids: { etcd: etcd.pid, kubeApiserver: apiserver.pid },
      kubeConfig() {
        const kc = new KubeConfig();
        kc.loadFromFile(kubeconfigPath);
        return kc;
      },
      async mintKubeconfig(user) {
        if (!user.name) throw new Error('mintKubeconfig needs a non-empty user name');
        minted += 1;
        const stem = `user-${minted}-${user.name.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
        const cert = await issueCertificate({
          dir: certDir,
          fileStem: stem,
          commonName: user.name,
          organizations: user.groups ?? [],
          issuer: clientCa,
          usage: 'client',
        });
        return await writeKubeconfig(join(dir, `${stem}.kubeconfig`), {
          server,
          caPem: servingCa.certPem,
          userName: user.name,
          certPem: cert.certPem,
          keyPem: cert.keyPem,
        });
      },
      webhookServing() {
        webhook ??= (async () => {
          const certDirForWebhook = join(dir, 'webhook-serving');
          await mkdir(certDirForWebhook);
          const { ca } = await issueLoopbackServing({
            dir: certDirForWebhook,
            caName: 'winprefix-test-webhook-ca',
            certFileName: 'tls.crt',
            keyFileName: 'tls.key',
          });
          return { certDir: certDirForWebhook, caBundle: Buffer.from(ca.certPem).toString('base64') };
        })();
        return webhook;
      },
      stop,
    };
  } catch (err) {
    const tails = processes
      .map((p) => `--- last lines of ${p.name} log (${p.logPath}) ---\n${p.tail(40)}`)
      .join('\n');
    const message = `the test control plane did not start: ${(err as Error).message}\n${tails}`;
    log(message);
    await stop();
    const error = new ControlPlaneStartError(message, { cause: err });
    error.portTaken = /address already in use/.test(tails);
    throw error;
  }
}
