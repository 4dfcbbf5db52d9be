/**
 * @module
 * Runs the bundled controller (dist/controller.js) as a child process of the sandbox, against the test
 * control plane and the EC2 simulator, and waits until its health endpoint answers.
 */
import { join } from 'node:path';
import { request } from 'undici';
import { freeLoopbackPorts } from '../../test/harness/ports.ts';
import { spawnLogged, type ManagedProcess } from '../../test/harness/process.ts';

export interface ControllerProcessOptions {
  bundlePath: string;
  kubeconfigPath: string;
  ec2Endpoint: string;
  region: string;
  clusterName: string;
  /** Holds tls.crt and tls.key for the webhook server; without it the controller serves no webhooks. */
  certDir?: string;
  /** Where controller.log goes. */
  logDir: string;
  extraArgs?: string[];
  startTimeoutMs?: number;
}

export interface ControllerProcess {
  process: ManagedProcess;
  webhookPort: number;
  metricsPort: number;
  healthPort: number;
}

export class ControllerStartError extends Error {
  override name = 'ControllerStartError';
}

export async function startControllerProcess(o: ControllerProcessOptions): Promise<ControllerProcess> {
  const [webhookPort, metricsPort, healthPort] = (await freeLoopbackPorts(3)) as [number, number, number];
  const child = spawnLogged({
    name: 'controller',
    command: process.execPath,
    logPath: join(o.logDir, 'controller.log'),
    args: [
      o.bundlePath,
      'run',
      '--kubeconfig', o.kubeconfigPath,
      '--ec2-endpoint', o.ec2Endpoint,
      '--region', o.region,
      '--cluster-name', o.clusterName,
      ...(o.certDir ? ['--cert-dir', o.certDir] : []),
      '--webhook-port', String(webhookPort),
      '--webhook-host', '127.0.0.1',
      '--metrics-bind-address', `127.0.0.1:${metricsPort}`,
      '--health-probe-bind-address', `127.0.0.1:${healthPort}`,
      ...(o.extraArgs ?? []),
    ],
    env: {
      ...process.env,
      // The simulator accepts any SigV4 signature; the SDK just needs some credentials and no IMDS probing.
      AWS_ACCESS_KEY_ID: 'AKIASANDBOXEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'sandbox-secret-not-a-real-key',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: o.region,
    },
  });
  const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
  let lastError = '';
  for (;;) {
    if (child.hasExited()) {
      throw new ControllerStartError(
        `the controller exited with ${await child.exited} before becoming healthy; last lines of ${child.logPath}:\n${child.tail(30)}`,
      );
    }
    try {
      const res = await request(`http://127.0.0.1:${healthPort}/healthz`, { headersTimeout: 1_000, bodyTimeout: 1_000 });
      await res.body.dump();
      if (res.statusCode === 200) break;
      lastError = `HTTP ${res.statusCode}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new ControllerStartError(
        `the controller did not answer http://127.0.0.1:${healthPort}/healthz within ${o.startTimeoutMs ?? 30_000} ms ` +
          `(last: ${lastError}); last lines of ${child.logPath}:\n${child.tail(30)}`,
      );
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return { process: child, webhookPort, metricsPort, healthPort };
}
