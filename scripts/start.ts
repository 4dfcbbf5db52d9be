/**
 * @module
 * `npm start`: the local sandbox. A real etcd and kube-apiserver (test/harness), the EC2 simulator with a small
 * world, the controller when dist/controller.js exists, one Windows node per simulated instance, and a
 * workload that creates and deletes Windows pods. Prints the kubeconfig and what to try, runs until Ctrl-C
 * (or --duration), then removes everything it made.
 *
 * Usage: node scripts/start.ts [--duration SECONDS] [--world FILE] [--pods N] [--rate OPS_PER_SECOND]
 *                              [--no-controller] [--state-file PATH]
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ConfigKeys, DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE, POD_IP_ANNOTATION } from '../pkg/contract.ts';
import { startEc2Simulator, type Ec2Simulator } from '../pkg/ec2sim/server.ts';
import { loadWorldFile } from '../pkg/ec2sim/world-file.ts';
import { DEFAULT_INSTALL, rbacObjects } from '../pkg/manifests/install.ts';
import { webhookConfigurations } from '../pkg/manifests/webhooks.ts';
import { registerCleanup } from '../test/harness/cleanup.ts';
import {
  createOrReplaceObjects,
  createWindowsNode,
  ensureNamespace,
  installWebhookConfigurations,
} from '../test/harness/cluster-objects.ts';
import { startControlPlane, type ControlPlane } from '../test/harness/control-plane.ts';
import { build, ENTRY_POINTS } from './build.ts';
import { startControllerProcess, type ControllerProcess } from './sandbox/controller-process.ts';
import { startPodChurn, type PodChurn } from './sandbox/workload.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `usage: npm start -- [options]   (or: node scripts/start.ts [options])
  --duration SECONDS   stop by itself after this long (default: run until Ctrl-C)
  --world FILE         EC2 simulator world (default examples/worlds/sandbox.yaml)
  --pods N             Windows pods kept alive by the workload (default 24)
  --rate N             pod creates+deletes per second (default 1)
  --no-controller      run without the controller even when dist/controller.js exists
  --no-build           use the bundles already in dist/ (tests: the suite has just built them)
  --state-file PATH    write a JSON file with the sandbox's kubeconfig, endpoints and process ids`;

const REGION_FALLBACK = 'us-west-2';
const CLUSTER_NAME = 'sandbox';
const WORKLOAD_NAMESPACE = 'sandbox';
/** The identity the controller runs as: the ServiceAccount its install manifest creates. */
const CONTROLLER_SA = { namespace: DEFAULT_INSTALL.namespace, name: 'winprefix-controller' };

const log = (line: string) => process.stderr.write(`${line}\n`);
const say = (line = '') => process.stdout.write(`${line}\n`);

function fail(message: string): never {
  log(`npm start: ${message}`);
  process.exit(2);
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        duration: { type: 'string' },
        world: { type: 'string', default: join(ROOT, 'examples', 'worlds', 'sandbox.yaml') },
        pods: { type: 'string', default: '24' },
        rate: { type: 'string', default: '1' },
        'no-controller': { type: 'boolean', default: false },
        'no-build': { type: 'boolean', default: false },
        'state-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    say(USAGE);
    process.exit(0);
  }
  const number = (flag: string, text: string | undefined, min: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) fail(`--${flag} "${text}" must be a number >= ${min}`);
    return n;
  };
  return {
    durationMs: (number('duration', values.duration, 1) ?? 0) * 1000 || undefined,
    worldPath: resolve(values.world),
    targetPods: Math.floor(number('pods', values.pods, 0) ?? 24),
    opsPerSecond: number('rate', values.rate, 0.01) ?? 1,
    controller: !values['no-controller'],
    build: !values['no-build'],
    stateFile: values['state-file'] ? resolve(values['state-file']) : undefined,
  };
}

/** AWS names nodes after the instance's private address. */
function nodeNameFor(privateIp: string, region: string): string {
  return `ip-${privateIp.replaceAll('.', '-')}.${region}.compute.internal`;
}

/** A `kubectl-winprefix` on PATH makes `kubectl winprefix ...` work; it points the plugin at the simulator. */
async function writePluginShim(dir: string, ec2Endpoint: string, region: string): Promise<string> {
  const binDir = join(dir, 'bin');
  await mkdir(binDir, { recursive: true });
  const shim = join(binDir, 'kubectl-winprefix');
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  await writeFile(
    shim,
    [
      '#!/bin/sh',
      '# Written by `npm start`: the winprefix plugin, pointed at the sandbox EC2 simulator.',
      `export AWS_ENDPOINT_URL_EC2=${q(ec2Endpoint)} AWS_REGION=${q(region)} AWS_EC2_METADATA_DISABLED=true`,
      'export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-AKIASANDBOXEXAMPLE}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-sandbox}"',
      `exec ${q(process.execPath)} ${q(join(ROOT, 'dist', 'kubectl-winprefix.js'))} "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(shim, 0o755);
  return binDir;
}

async function countAddressedPods(kc: KubeConfig): Promise<{ pods: number; withIp: number }> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: WORKLOAD_NAMESPACE });
  return {
    pods: list.items.length,
    withIp: list.items.filter((p) => p.metadata?.annotations?.[POD_IP_ANNOTATION]).length,
  };
}

/**
 * Runs the plugin once so the user sees what it shows; its failure is reported, not fatal. Asynchronous on
 * purpose: the EC2 simulator it queries lives in this process.
 */
async function showDescribe(o: { binDir: string; kubeconfigPath: string; node: string }): Promise<void> {
  const r = await new Promise<{ code: number | string; stdout: string; stderr: string }>((ok) => {
    execFile(
      join(o.binDir, 'kubectl-winprefix'),
      ['describe', 'node', o.node],
      { env: { ...process.env, KUBECONFIG: o.kubeconfigPath, NO_COLOR: '1' }, encoding: 'utf8', timeout: 30_000 },
      (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number | string }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  say(`\n$ kubectl winprefix describe node ${o.node}`);
  if (r.stdout.trim()) say(r.stdout.trimEnd());
  if (r.code !== 0) say(`(exit ${r.code}) ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const started = performance.now();
  process.chdir(ROOT);

  if (opts.build) {
    const entries = ENTRY_POINTS.filter((name) => existsSync(join(ROOT, 'cmd', `${name}.ts`)));
    log(`[sandbox] building ${entries.map((n) => `dist/${n}.js`).join(', ')}`);
    await build(entries, { minify: false });
  }

  const world = await loadWorldFile(opts.worldPath);
  const region = world.region ?? REGION_FALLBACK;

  let plane: ControlPlane | undefined;
  let sim: Ec2Simulator | undefined;
  let controller: ControllerProcess | undefined;
  let workload: PodChurn | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      clearInterval(statusTimer);
      log('[sandbox] stopping: workload, controller, EC2 simulator, control plane');
      await workload?.stop();
      await controller?.process.stop();
      await sim?.close();
      await plane?.stop();
      unregister();
      log('[sandbox] stopped; all processes ended and temporary files removed');
    })();
    return shuttingDown;
  };
  const unregister = registerCleanup({ async: shutdown, sync: () => controller?.process.killNow() });

  try {
    plane = await startControlPlane({ log });
    sim = await startEc2Simulator({ world });
    log(`[sandbox] EC2 simulator at ${sim.endpoint} (${relative(ROOT, opts.worldPath)})`);
    const kc = plane.kubeConfig();

    await createOrReplaceObjects(kc, [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: DEFAULT_CONFIGMAP_NAME, namespace: DEFAULT_CONFIGMAP_NAMESPACE },
        data: { [ConfigKeys.enableWindowsIpam]: 'true', [ConfigKeys.enableWindowsPrefixDelegation]: 'true' },
      },
    ]);
    await ensureNamespace(kc, WORKLOAD_NAMESPACE);

    const instances = sim.world.instances().filter((i) => i.platform === 'windows');
    const nodes: { name: string; instanceId: string; instanceType: string }[] = [];
    for (const i of instances) {
      const name = nodeNameFor(i.privateIp, region);
      await createWindowsNode(kc, {
        name,
        instanceId: i.instanceId,
        instanceType: i.instanceType,
        zone: i.availabilityZone,
        region,
        internalIp: i.privateIp,
      });
      nodes.push({ name, instanceId: i.instanceId, instanceType: i.instanceType });
    }
    log(`[sandbox] ${nodes.length} Windows nodes: ${nodes.map((n) => `${n.name} (${n.instanceType})`).join(', ')}`);

    const controllerBundle = join(ROOT, 'dist', 'controller.js');
    let controllerNote: string;
    if (!opts.controller) {
      controllerNote = 'not started (--no-controller)';
    } else if (!existsSync(controllerBundle)) {
      controllerNote = 'not started: dist/controller.js does not exist yet (no cmd/controller.ts to build)';
    } else {
      // The controller runs as exactly the identity and RBAC its install manifest grants, not as admin.
      await ensureNamespace(kc, CONTROLLER_SA.namespace);
      await createOrReplaceObjects(kc, rbacObjects(DEFAULT_INSTALL, { kind: 'ServiceAccount', ...CONTROLLER_SA }));
      const controllerKubeconfig = await plane.mintKubeconfig({
        name: `system:serviceaccount:${CONTROLLER_SA.namespace}:${CONTROLLER_SA.name}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${CONTROLLER_SA.namespace}`, 'system:authenticated'],
      });
      const serving = await plane.webhookServing();
      controller = await startControllerProcess({
        bundlePath: controllerBundle,
        kubeconfigPath: controllerKubeconfig,
        ec2Endpoint: sim.endpoint,
        region,
        clusterName: CLUSTER_NAME,
        certDir: serving.certDir,
        logDir: plane.dir,
        // As the install manifest's Deployment passes them, so its RBAC covers the Lease.
        extraArgs: [
          `--leader-election-namespace=${DEFAULT_INSTALL.namespace}`,
          `--leader-election-id=${DEFAULT_INSTALL.leaseName}`,
          `--configmap=${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME}`,
        ],
      });
      await installWebhookConfigurations(
        kc,
        webhookConfigurations({ kind: 'url', baseUrl: `https://127.0.0.1:${controller.webhookPort}`, caBundle: serving.caBundle }),
      );
      controllerNote = `running (pid ${controller.process.pid}, log ${controller.process.logPath}, metrics http://127.0.0.1:${controller.metricsPort}/metrics)`;
    }
    log(`[sandbox] controller: ${controllerNote}`);

    workload = startPodChurn({
      kc,
      namespace: WORKLOAD_NAMESPACE,
      nodes: nodes.map((n) => n.name),
      targetPods: opts.targetPods,
      opsPerSecond: opts.opsPerSecond,
      // Without the controller no mutating webhook adds the resource request, so the workload adds it.
      requestIp: controller === undefined,
      log,
    });

    const binDir = await writePluginShim(plane.dir, sim.endpoint, region);
    if (opts.stateFile) {
      await writeFile(
        opts.stateFile,
        `${JSON.stringify(
          {
            kubeconfig: plane.kubeconfigPath,
            server: plane.server,
            dir: plane.dir,
            ec2Endpoint: sim.endpoint,
            region,
            nodes: nodes.map((n) => n.name),
            pids: { ...plane.pids, controller: controller?.process.pid },
            controller: controller !== undefined,
          },
          null,
          2,
        )}\n`,
      );
    }

    const firstNode = nodes[0]?.name ?? 'NODE';
    say(`winprefix sandbox is up in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
      `(control plane ${(plane.startupMs / 1000).toFixed(1)} s, Kubernetes ${plane.server}).`);
    say(`  kubeconfig:    ${plane.kubeconfigPath}`);
    say(`  EC2 simulator: ${sim.endpoint}   world: ${relative(ROOT, opts.worldPath)}`);
    say(`  nodes:         ${nodes.map((n) => `${n.name} (${n.instanceType})`).join(', ')}`);
    say(`  controller:    ${controllerNote}`);
    say(`  workload:      up to ${opts.targetPods} Windows pods in namespace ${WORKLOAD_NAMESPACE}, ${opts.opsPerSecond} creates/deletes per second`);
    say('');
    say('Try, in another terminal:');
    say(`  export KUBECONFIG=${plane.kubeconfigPath}`);
    say('  kubectl get nodes -L node.kubernetes.io/instance-type');
    say(`  kubectl get pods -n ${WORKLOAD_NAMESPACE} -o wide`);
    say(`  node dist/kubectl-winprefix.js describe node ${firstNode} --ec2-endpoint ${sim.endpoint} --region ${region}`);
    say('  # or as a kubectl plugin (the shim points it at the EC2 simulator):');
    say(`  export PATH=${binDir}:$PATH`);
    say(`  kubectl winprefix describe node ${firstNode}`);
    say('');
    say(opts.durationMs ? `Stopping by itself after ${opts.durationMs / 1000} s.` : 'Ctrl-C stops the sandbox and removes everything it made.');

    const reportStatus = async () => {
      const s = workload?.stats();
      const counts = await countAddressedPods(kc).catch(() => undefined);
      log(
        `[sandbox] pods: ${counts?.pods ?? '?'} in ${WORKLOAD_NAMESPACE}, ${counts?.withIp ?? '?'} with an address; ` +
          `workload created ${s?.created ?? 0}, deleted ${s?.deleted ?? 0}, failed ${s?.failed ?? 0}`,
      );
    };
    statusTimer = setInterval(() => void reportStatus(), 15_000);
    // Let the workload and controller get going, then show the headline command's output once.
    const describeAfterMs = Math.min(12_000, (opts.durationMs ?? Infinity) / 2);
    setTimeout(() => {
      if (!shuttingDown && existsSync(join(ROOT, 'dist', 'kubectl-winprefix.js'))) {
        void showDescribe({ binDir, kubeconfigPath: plane!.kubeconfigPath, node: firstNode });
      }
    }, describeAfterMs).unref();

    if (opts.durationMs) {
      await new Promise((ok) => setTimeout(ok, opts.durationMs));
      await reportStatus();
      await shutdown();
    }
    // Without --duration the timers keep the process alive until a signal runs the clean-up.
  } catch (err) {
    log(`[sandbox] failed: ${(err as Error).message}`);
    await shutdown();
    process.exitCode = 1;
  }
}

await main();
