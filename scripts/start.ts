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
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { POD_IP_ANNOTATION } from '../pkg/core/contract.ts';
import { startEc2Simulator, type Ec2Simulator } from '../pkg/ec2sim/server.ts';
import { loadWorldFile } from '../pkg/ec2sim/world-file.ts';
import { registerCleanup } from '../test/harness/cleanup.ts';
import { ensureNamespace } from '../test/harness/cluster-objects.ts';
import { startControlPlane, type ControlPlane } from '../test/harness/control-plane.ts';
import { build, ENTRY_POINTS } from './build.ts';
import { createNodesForWorld, installAdmissionPolicies, startSandboxController, writeIpamConfig } from './sandbox/cluster-setup.ts';
import type { ControllerProcess } from './sandbox/controller-process.ts';
import { describeNodeText, writePluginShim } from './sandbox/plugin-shim.ts';
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

async function countAddressedPods(kc: KubeConfig): Promise<{ pods: number; withIp: number }> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: WORKLOAD_NAMESPACE });
  return {
    pods: list.items.length,
    withIp: list.items.filter((p) => p.metadata?.annotations?.[POD_IP_ANNOTATION]).length,
  };
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const started = performance.now();
  process.chdir(ROOT);

  if (opts.build) {
    const entries = ENTRY_POINTS;
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

    await writeIpamConfig(kc);
    await ensureNamespace(kc, WORKLOAD_NAMESPACE);
    log(`[sandbox] admission: ${await installAdmissionPolicies(kc, WORKLOAD_NAMESPACE)}, inside the API server`);
    const nodes = await createNodesForWorld(kc, sim.world, region);
    log(`[sandbox] ${nodes.length} Windows nodes: ${nodes.map((n) => `${n.name} (${n.instanceType})`).join(', ')}`);

    const controllerBundle = join(ROOT, 'dist', 'controller.js');
    let controllerNote: string;
    if (!opts.controller) {
      controllerNote = 'not started (--no-controller)';
    } else if (!existsSync(controllerBundle)) {
      controllerNote = 'not started: dist/controller.js does not exist yet (no cmd/controller.ts to build)';
    } else {
      controller = await startSandboxController({
        plane,
        bundlePath: controllerBundle,
        ec2Endpoint: sim.endpoint,
        region,
        clusterName: CLUSTER_NAME,
      });
      controllerNote = `running (pid ${controller.process.pid}, log ${controller.process.logPath}, metrics http://127.0.0.1:${controller.metricsPort}/metrics)`;
    }
    log(`[sandbox] controller: ${controllerNote}`);

    workload = startPodChurn({
      kc,
      namespace: WORKLOAD_NAMESPACE,
      nodes: nodes.map((n) => n.name),
      targetPods: opts.targetPods,
      opsPerSecond: opts.opsPerSecond,
      // The mutating admission policy adds the resource request, with or without the controller.
      requestIp: false,
      log,
    });

    const pluginBundle = join(ROOT, 'dist', 'kubectl-winprefix.js');
    const binDir = await writePluginShim({ dir: plane.dir, pluginBundle, ec2Endpoint: sim.endpoint, region });
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
    say('  # the plugin, with the project\'s Node 24 and the simulator\'s endpoint and credentials:');
    say(`  ${join(binDir, 'kubectl-winprefix')} describe node ${firstNode}`);
    say('  # or as a kubectl plugin, as krew installs it:');
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
      if (!shuttingDown && existsSync(pluginBundle)) {
        void describeNodeText({ binDir, kubeconfigPath: plane!.kubeconfigPath, node: firstNode }).then((text) => say(`\n${text}`));
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

// Errors before anything started (a bad --world file, a failed bundle) have nothing to clean up: one line.
await main().catch((err: unknown) => {
  process.stderr.write(`npm start: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.WINPREFIX_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 2;
});
