/**
 * @module
 * Runs a kubeconfig exec credential plugin (`aws eks get-token`, kubelogin, gke-gcloud-auth-plugin) the
 * way kubectl does: the command with its args and extra env, KUBERNETES_EXEC_INFO describing the call,
 * stdin and stderr passed through when it may prompt, and an ExecCredential read from stdout (a token,
 * or a client certificate and key). One run per plugin invocation; errors name the command and what it said.
 */
import { childProcess } from '../builtins.ts';
import { CliError } from '../io.ts';
import type { ExecConfig } from './kubeconfig.ts';

export type ExecResult = { token: string } | { cert: string; key: string };

export async function runExecCredential(o: {
  exec: ExecConfig;
  userName: string;
  env: Readonly<Record<string, string | undefined>>;
  server: string;
  stdinIsTTY: boolean;
}): Promise<ExecResult> {
  const { exec } = o;
  const interactive = exec.interactiveMode === 'Always' || (exec.interactiveMode === 'IfAvailable' && o.stdinIsTTY);
  if (exec.interactiveMode === 'Always' && !o.stdinIsTTY) {
    throw new CliError(`the exec credential plugin of user "${o.userName}" (${exec.command}) needs a terminal (interactiveMode: Always), and stdin is not one`);
  }
  const execInfo = {
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: { interactive, ...(exec.provideClusterInfo ? { cluster: { server: o.server } } : {}) },
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.env)) if (v !== undefined) env[k] = v;
  for (const e of exec.env) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify(execInfo);

  const { code, stdout, stderr, spawnError } = await new Promise<{ code: number | null; stdout: string; stderr: string; spawnError?: NodeJS.ErrnoException }>((done) => {
    const child = childProcess().spawn(exec.command, exec.args, { env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', interactive ? 'inherit' : 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => done({ code: null, stdout: out, stderr: err, spawnError: e }));
    child.on('close', (c) => done({ code: c, stdout: out, stderr: err }));
  });
  const who = `the exec credential plugin of user "${o.userName}" (${[exec.command, ...exec.args].join(' ')})`;
  if (spawnError) {
    const hint = spawnError.code === 'ENOENT' ? (exec.installHint ? `: ${exec.installHint.trim().replace(/\s*\n\s*/g, ' ')}` : ': install it or fix the command in the kubeconfig') : '';
    throw new CliError(`${who} could not run (${spawnError.code ?? spawnError.message})${hint}`);
  }
  if (code !== 0) {
    const said = stderr.trim().split('\n').slice(-3).join(' ').trim();
    throw new CliError(`${who} exited with ${code}${said ? `: ${said}` : ''}`);
  }
  let credential: { status?: { token?: string; clientCertificateData?: string; clientKeyData?: string } };
  try {
    credential = JSON.parse(stdout) as typeof credential;
  } catch {
    throw new CliError(`${who} printed no ExecCredential JSON on stdout`);
  }
  const status = credential.status ?? {};
  if (status.token) return { token: status.token };
  if (status.clientCertificateData && status.clientKeyData) return { cert: status.clientCertificateData, key: status.clientKeyData };
  throw new CliError(`${who} returned an ExecCredential without a token or a client certificate and key`);
}
