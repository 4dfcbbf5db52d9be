/**
 * @module
 * `npm start` end to end: the sandbox comes up (nodes, ConfigMap, workload pods, addresses when the controller
 * runs), prints what to try, and leaves no process or folder behind, both after --duration and on Ctrl-C.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { waitFor } from '../harness/wait.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const POD_IP_ANNOTATION = 'vpc.amazonaws.com/PrivateIPv4Address';
const RESOURCE_NAME = 'vpc.amazonaws.com/PrivateIPv4Address';

interface SandboxState {
  kubeconfig: string;
  dir: string;
  nodes: string[];
  controller: boolean;
  pids: { etcd: number; kubeApiserver: number; controller?: number };
}

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface RunningSandbox {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  state: SandboxState;
  cleanupScratch: () => void;
}

async function startSandbox(args: string[]): Promise<RunningSandbox> {
  const scratch = mkdtempSync(join(tmpdir(), 'winprefix-sandbox-test-'));
  const stateFile = join(scratch, 'state.json');
  // --no-build: the suite built dist/ already, and rebuilding it here would race other tests running it.
  const child = spawn(process.execPath, ['scripts/start.ts', '--no-build', '--state-file', stateFile, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once('exit', (code, signal) => ok({ code, signal })),
  );
  let ended = false;
  void exited.then(() => (ended = true));
  const state = await waitFor('the sandbox to write its state file', async () => {
    if (ended) throw new Error(`npm start exited early:\n${err}`);
    return existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as SandboxState) : undefined;
  }, { timeoutMs: 120_000, intervalMs: 200 });
  return { child, stdout: () => out, stderr: () => err, exited, state, cleanupScratch: () => rmSync(scratch, { recursive: true, force: true }) };
}

function assertAllGone(state: SandboxState): void {
  assert.equal(isAlive(state.pids.etcd), false, 'etcd still running');
  assert.equal(isAlive(state.pids.kubeApiserver), false, 'kube-apiserver still running');
  assert.equal(isAlive(state.pids.controller), false, 'controller still running');
  assert.equal(existsSync(state.dir), false, `${state.dir} still exists`);
}

describe('npm start (the local sandbox)', () => {
  test('--duration: comes up with nodes, config and churning Windows pods, then cleans up and exits 0', async () => {
    const sb = await startSandbox(['--duration', '20', '--pods', '8', '--rate', '4']);
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(sb.state.kubeconfig);
      const core = kc.makeApiClient(CoreV1Api);

      const nodes = (await core.listNode()).items;
      assert.equal(nodes.length, 4, 'one node per Windows instance of examples/worlds/sandbox.yaml');
      for (const n of nodes) {
        assert.equal(n.metadata?.labels?.['kubernetes.io/os'], 'windows');
        assert.match(n.spec?.providerID ?? '', /^aws:\/\/\/us-west-2a\/i-0a00000\d$/);
        assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
      }
      const cm = await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'amazon-vpc-cni' });
      assert.equal(cm.data?.['enable-windows-ipam'], 'true');
      assert.equal(cm.data?.['enable-windows-prefix-delegation'], 'true');

      const pods = await waitFor('the workload to create pods on every node', async () => {
        const items = (await core.listNamespacedPod({ namespace: 'sandbox' })).items;
        return new Set(items.map((p) => p.spec?.nodeName)).size === 4 ? items : undefined;
      }, { timeoutMs: 15_000, intervalMs: 250 });
      assert.ok(pods.every((p) => p.spec?.nodeSelector?.['kubernetes.io/os'] === 'windows'));
      // The admission rules run inside the API server: the policies are there, no webhook is registered, and the
      // mutation policy gave every workload pod its resource request.
      const admission = kc.makeApiClient(AdmissionregistrationV1Api);
      assert.deepEqual((await admission.listMutatingAdmissionPolicy()).items.map((p) => p.metadata?.name), ['winprefix-pod-mutator']);
      assert.deepEqual((await admission.listValidatingAdmissionPolicy()).items.map((p) => p.metadata?.name), ['winprefix-ip-annotation-guard']);
      assert.deepEqual((await admission.listMutatingWebhookConfiguration()).items, []);
      assert.deepEqual((await admission.listValidatingWebhookConfiguration()).items, []);
      assert.ok(pods.every((p) => p.spec?.containers[0]?.resources?.requests?.[RESOURCE_NAME] === '1'), 'the mutation policy added the resource request');
      if (sb.state.controller) {
        await waitFor('the controller to give a workload pod an address', async () => {
          const items = (await core.listNamespacedPod({ namespace: 'sandbox' })).items;
          return items.find((p) => p.metadata?.annotations?.[POD_IP_ANNOTATION]);
        }, { timeoutMs: 15_000, intervalMs: 250 });
      }

      // The direct command it prints runs as printed: its own Node, endpoint and credentials, whatever the PATH.
      const printed = /^ {2}(\S+\/kubectl-winprefix) describe node (\S+)$/m.exec(sb.stdout());
      assert.ok(printed, `npm start prints a direct plugin command:\n${sb.stdout()}`);
      const direct = spawnSync(printed[1]!, ['describe', 'node', printed[2]!, '-o', 'json'], {
        env: { PATH: '/usr/bin:/bin', HOME: sb.state.dir, KUBECONFIG: sb.state.kubeconfig },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.ok(direct.status === 0 || direct.status === 1, `exit ${direct.status}: ${direct.stderr}`);
      assert.equal((JSON.parse(direct.stdout) as { kind: string }).kind, 'NodeReport');

      const { code, signal } = await sb.exited;
      assert.equal(signal, null);
      assert.equal(code, 0, sb.stderr());
      assert.match(sb.stdout(), /winprefix sandbox is up/);
      assert.ok(sb.stdout().includes(`kubeconfig:    ${sb.state.kubeconfig}`));
      assert.match(sb.stdout(), /kubectl winprefix describe node ip-10-0-1-10\.us-west-2\.compute\.internal/);
      assert.match(sb.stderr(), /workload created \d+, deleted [1-9]\d*/, 'the workload also deletes pods');
      assert.match(sb.stderr(), /stopped; all processes ended/);
      assertAllGone(sb.state);
    } finally {
      sb.child.kill('SIGKILL');
      sb.cleanupScratch();
    }
  });

  test('Ctrl-C (SIGINT) stops everything and removes the temporary folder', async () => {
    const sb = await startSandbox(['--pods', '2']);
    try {
      assert.ok(isAlive(sb.state.pids.kubeApiserver));
      sb.child.kill('SIGINT');
      const { signal } = await sb.exited;
      assert.equal(signal, 'SIGINT', sb.stderr());
      assertAllGone(sb.state);
    } finally {
      sb.child.kill('SIGKILL');
      sb.cleanupScratch();
    }
  });
});

test('npm start with a world file that cannot be read: one line saying which file and why, exit 2', async () => {
  const child = spawn(process.execPath, ['scripts/start.ts', '--no-build', '--world', '/nonexistent/world.yaml'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 2, stderr);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /^npm start: cannot read world file \/nonexistent\/world\.yaml: ENOENT/);
});
