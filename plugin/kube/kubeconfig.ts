/**
 * @module
 * The plugin's kubeconfig reader: which API server, with which credentials, as kubectl resolves them.
 * Files from --kubeconfig (several merged), else KUBECONFIG (missing entries skipped), else in-cluster
 * (KUBERNETES_SERVICE_HOST), else ~/.kube/config; merged as kubectl merges them (the first file wins per
 * cluster, user and context name, and for current-context); then --context, --cluster, --user and
 * --namespace; relative paths in a file are relative to that file, as in kubectl.
 *
 * Why not client-node's KubeConfig (which pkg/kube/kubeconfig.ts wraps for the controller, with the same
 * rules): loading it costs 1.4 MB of code and about 80 MiB, most of a `describe node` run. This reader
 * needs kubeconfig-yaml.ts, and js-yaml only for files beyond what tools write. Credentials it resolves: client certificates, tokens and token files, basic auth,
 * exec plugins (`aws eks get-token`, plugin/kube/exec-credentials.ts) and an OIDC auth-provider's
 * id-token; anything else gets an error that names it.
 */
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fs } from '../builtins.ts';
import { CliError } from '../io.ts';
import { parseKubeconfigYaml } from './kubeconfig-yaml.ts';

export interface KubeConnectionFlags {
  kubeconfig?: string[];
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
}

export interface ExecConfig {
  command: string;
  args: string[];
  env: Array<{ name: string; value: string }>;
  apiVersion: string;
  installHint: string | undefined;
  interactiveMode: 'Never' | 'IfAvailable' | 'Always';
  provideClusterInfo: boolean;
}

export type Credentials =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  | { kind: 'token-file'; path: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'client-certificate'; cert: Buffer; key: Buffer }
  | { kind: 'exec'; exec: ExecConfig; userName: string };

export interface KubeTarget {
  server: string;
  ca: Buffer | undefined;
  insecureSkipTlsVerify: boolean;
  tlsServerName: string | undefined;
  proxyUrl: string | undefined;
  credentials: Credentials;
  /** The context's namespace (or --namespace). */
  namespace: string;
  /** Where it came from, for messages: "context prod in ~/.kube/config", "in-cluster configuration". */
  source: string;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

type Named<T> = { name: string; base: string; value: T };
interface RawCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}
interface RawUser {
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  exec?: { command?: string; args?: string[]; env?: Array<{ name: string; value: string }> | null; apiVersion?: string; installHint?: string; interactiveMode?: string; provideClusterInfo?: boolean };
  'auth-provider'?: { name?: string; config?: Record<string, string> };
}
interface RawContext {
  cluster?: string;
  user?: string;
  namespace?: string;
}

interface Merged {
  clusters: Map<string, Named<RawCluster>>;
  users: Map<string, Named<RawUser>>;
  contexts: Map<string, Named<RawContext>>;
  currentContext: string;
  files: string[];
}

/** Reads the kubeconfig the way kubectl would for these flags and this environment. */
export async function resolveKubeTarget(flags: KubeConnectionFlags, env: Readonly<Record<string, string | undefined>>, home = homedir()): Promise<KubeTarget> {
  const explicit = (flags.kubeconfig ?? []).filter((p) => p !== '');
  if (explicit.length === 0 && !env.KUBECONFIG && env.KUBERNETES_SERVICE_HOST) return inCluster(flags, env);
  let files: string[];
  let via: string;
  if (explicit.length > 0) {
    files = explicit;
    via = '--kubeconfig';
    for (const f of files) if (!fs().existsSync(f)) throw new CliError(`kubeconfig file ${f} (from --kubeconfig) does not exist`);
  } else if (env.KUBECONFIG) {
    const listed = env.KUBECONFIG.split(delimiter).filter((f) => f !== '');
    // kubectl ignores missing entries in KUBECONFIG as long as one exists.
    files = listed.filter((f) => fs().existsSync(f));
    via = 'KUBECONFIG';
    if (files.length === 0) throw new CliError(`none of the files in KUBECONFIG exist (${listed.join(delimiter)}): fix KUBECONFIG or pass --kubeconfig`);
  } else {
    const file = join(home, '.kube', 'config');
    if (!fs().existsSync(file)) {
      throw new CliError(`no kubeconfig: ${file} does not exist, KUBECONFIG is not set and this is not a pod (KUBERNETES_SERVICE_HOST unset); pass --kubeconfig PATH`);
    }
    files = [file];
    via = 'default path';
  }
  const merged = await mergeFiles(files, via);
  return select(merged, flags);
}

/** The document in a kubeconfig file: the fast reader for what tools write, js-yaml for anything else. */
async function parseFile(file: string, via: string): Promise<unknown> {
  let text: string;
  try {
    text = fs().readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`kubeconfig file ${file} (from ${via}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const fast = parseKubeconfigYaml(text);
  if (fast !== undefined) return fast;
  const { load } = await import('js-yaml');
  try {
    return load(text);
  } catch (err) {
    throw new CliError(`kubeconfig file ${file} (from ${via}) cannot be read: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function mergeFiles(files: string[], via: string): Promise<Merged> {
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: '', files };
  for (const file of files) {
    const doc = await parseFile(file, via);
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`kubeconfig file ${file} (from ${via}) is not a kubeconfig (expected a YAML mapping)`);
    const d = doc as Record<string, unknown>;
    const base = dirname(resolve(file));
    const add = <T>(into: Map<string, Named<T>>, list: unknown, field: string) => {
      if (!Array.isArray(list)) return;
      for (const entry of list as Array<Record<string, unknown>>) {
        const name = typeof entry?.name === 'string' ? entry.name : undefined;
        if (name === undefined || into.has(name)) continue;
        into.set(name, { name, base, value: (entry[field] ?? {}) as T });
      }
    };
    add(merged.clusters, d.clusters, 'cluster');
    add(merged.users, d.users, 'user');
    add(merged.contexts, d.contexts, 'context');
    if (!merged.currentContext && typeof d['current-context'] === 'string') merged.currentContext = d['current-context'];
  }
  return merged;
}

function select(m: Merged, flags: KubeConnectionFlags): KubeTarget {
  const from = m.files.join(delimiter);
  let contextName = m.currentContext;
  if (flags.context) {
    if (!m.contexts.has(flags.context)) {
      const known = [...m.contexts.keys()];
      throw new CliError(`context "${flags.context}" is not in ${from}; known contexts: ${known.length > 0 ? known.join(', ') : '(none)'}`);
    }
    contextName = flags.context;
  }
  const context = m.contexts.get(contextName)?.value;
  if (!context && !(flags.cluster && flags.user)) {
    throw new CliError(`${from} has no current-context${contextName ? ` (it names "${contextName}", which is not defined)` : ''}: pass --context`);
  }
  if (flags.cluster && !m.clusters.has(flags.cluster)) {
    throw new CliError(`cluster "${flags.cluster}" is not in ${from}; known clusters: ${[...m.clusters.keys()].join(', ') || '(none)'}`);
  }
  if (flags.user && !m.users.has(flags.user)) {
    throw new CliError(`user "${flags.user}" is not in ${from}; known users: ${[...m.users.keys()].join(', ') || '(none)'}`);
  }
  const clusterName = flags.cluster ?? context?.cluster ?? '';
  const userName = flags.user ?? context?.user ?? '';
  const cluster = m.clusters.get(clusterName);
  if (!cluster) throw new CliError(`the kubeconfig's context "${contextName}" names cluster "${clusterName}", which ${from} does not define: pass --context or --cluster`);
  const user = m.users.get(userName);
  const c = cluster.value;
  if (!c.server) throw new CliError(`cluster "${clusterName}" in ${from} has no server URL`);
  const path = (base: string, p: string) => (isAbsolute(p) ? p : join(base, p));
  const ca = c['certificate-authority-data']
    ? Buffer.from(c['certificate-authority-data'], 'base64')
    : c['certificate-authority']
      ? readFor(path(cluster.base, c['certificate-authority']), `certificate-authority of cluster "${clusterName}"`)
      : undefined;
  return {
    server: c.server.replace(/\/+$/, ''),
    ca,
    insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
    tlsServerName: c['tls-server-name'],
    proxyUrl: c['proxy-url'],
    credentials: user ? credentialsOf(user, path) : { kind: 'none' },
    namespace: flags.namespace ?? context?.namespace ?? 'default',
    source: `context "${contextName || '(flags)'}" in ${from}`,
  };
}

function credentialsOf(user: Named<RawUser>, path: (base: string, p: string) => string): Credentials {
  const u = user.value;
  const file = (p: string, what: string) => readFor(path(user.base, p), `${what} of user "${user.name}"`);
  if (u['client-certificate-data'] || u['client-certificate']) {
    const cert = u['client-certificate-data'] ? Buffer.from(u['client-certificate-data'], 'base64') : file(u['client-certificate']!, 'client-certificate');
    const key = u['client-key-data'] ? Buffer.from(u['client-key-data'], 'base64') : u['client-key'] ? file(u['client-key'], 'client-key') : undefined;
    if (!key) throw new CliError(`user "${user.name}" has a client certificate but no client-key`);
    return { kind: 'client-certificate', cert, key };
  }
  if (u.token) return { kind: 'token', token: u.token };
  if (u.tokenFile) return { kind: 'token-file', path: path(user.base, u.tokenFile) };
  if (u.exec?.command) {
    const mode = u.exec.interactiveMode;
    return {
      kind: 'exec',
      userName: user.name,
      exec: {
        // kubectl resolves a command with a path separator relative to the kubeconfig; a bare name goes through PATH.
        command: u.exec.command.includes('/') && !isAbsolute(u.exec.command) ? join(user.base, u.exec.command) : u.exec.command,
        args: u.exec.args ?? [],
        env: u.exec.env ?? [],
        apiVersion: u.exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1',
        installHint: u.exec.installHint,
        interactiveMode: mode === 'Never' || mode === 'Always' ? mode : 'IfAvailable',
        provideClusterInfo: u.exec.provideClusterInfo === true,
      },
    };
  }
  const provider = u['auth-provider'];
  if (provider) {
    const idToken = provider.config?.['id-token'];
    if (provider.name === 'oidc' && idToken) return { kind: 'token', token: idToken };
    throw new CliError(
      `user "${user.name}" authenticates with the auth-provider "${provider.name ?? '?'}", which kubectl-winprefix does not run (kubectl itself dropped the gcp and azure providers): switch the user to an exec credential plugin such as kubelogin or gke-gcloud-auth-plugin`,
    );
  }
  if (u.username !== undefined && u.password !== undefined) return { kind: 'basic', username: u.username, password: u.password };
  return { kind: 'none' };
}

function readFor(file: string, what: string): Buffer {
  try {
    return fs().readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${what} (${file}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function inCluster(flags: KubeConnectionFlags, env: Readonly<Record<string, string | undefined>>): KubeTarget {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  let namespace = flags.namespace;
  if (!namespace) {
    try {
      namespace = fs().readFileSync(join(SERVICE_ACCOUNT, 'namespace'), 'utf8').trim();
    } catch {
      namespace = 'default';
    }
  }
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: fs().existsSync(join(SERVICE_ACCOUNT, 'ca.crt')) ? fs().readFileSync(join(SERVICE_ACCOUNT, 'ca.crt')) : undefined,
    insecureSkipTlsVerify: false,
    tlsServerName: undefined,
    proxyUrl: undefined,
    // Re-read per run: the kubelet rotates projected service-account tokens.
    credentials: { kind: 'token-file', path: join(SERVICE_ACCOUNT, 'token') },
    namespace,
    source: 'the in-cluster configuration',
  };
}
