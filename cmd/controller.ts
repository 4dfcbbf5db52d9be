/**
 * @module
 * `controller run` (default), `controller manifests` and `controller version`: flags -> options -> run.
 * The only place that reads argv, handles signals and exits. Bundled to dist/controller.js, which runs
 * unchanged under `node` and `deno run --allow-env --allow-read --allow-net --allow-sys`; on an older
 * runtime it says so in one line first (./require-runtime.ts).
 */
import './require-runtime.ts';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { versionText } from '../pkg/support/build-info.ts';
import { COOL_DOWN_MS, DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE, CONTROLLER_NAME } from '../pkg/core/contract.ts';
import { runController, type RunOptions } from '../pkg/controller/app.ts';
import { parseDuration } from '../pkg/support/duration.ts';
import { DEFAULT_RELEASE_HOLD_DOWN_MS, DEMAND_HORIZON_MS } from '../pkg/core/ipam/pool.ts';
import { isLogLevel, type LogLevel } from '../pkg/support/log.ts';
import { checkRoleArn, DEFAULT_INSTALL, renderInstallManifest } from '../pkg/manifests/install.ts';
import { ADMISSION_CHOICES, chooseAdmissionForm, describeForm, parseKubernetesVersion, versionFromServerInfo, type AdmissionChoice, type AdmissionForm, type KubernetesVersion } from '../pkg/manifests/admission-form.ts';
import { KubeConfigError, loadKubeConfig } from '../pkg/adapters/kube/client.ts';
import { WRITE_CONNECTIONS } from '../pkg/adapters/kube/connections.ts';
import { readServerVersion } from '../pkg/adapters/kube/server-version.ts';
import { parseBindAddress } from '../pkg/support/bind-address.ts';
import { metricsAuthDefault } from '../pkg/controller/listeners.ts';

/** Listener defaults: loopback only; the install manifest opens them explicitly (see docs/controller.md, "Metrics"). */
const DEFAULT_METRICS_BIND = '127.0.0.1:8080';
const DEFAULT_HEALTH_BIND = '127.0.0.1:8081';

/** Flags that were renamed: giving one stops the start with what to write instead. */
const RENAMED_FLAGS: Record<string, string> = {
  'metrics-port': `--metrics-bind-address HOST:PORT (default ${DEFAULT_METRICS_BIND}; :PORT for every interface)`,
  'health-port': `--health-probe-bind-address HOST:PORT (default ${DEFAULT_HEALTH_BIND}; :PORT for every interface)`,
  'probe-host': `the host part of --metrics-bind-address and --health-probe-bind-address (both default to 127.0.0.1)`,
};

function configMapRef(text: string): { namespace: string; name: string } {
  const parts = text.split('/');
  if (parts.length === 1 && parts[0]) return { namespace: DEFAULT_CONFIGMAP_NAMESPACE, name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  throw new Error(`--configmap "${text}": use NAMESPACE/NAME (default ${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME})`);
}

/** A numeric flag, rejected with its name when yargs gave NaN ("abc") or it is outside [min, max]. */
function numberFlag(argv: Record<string, unknown>, flag: string, o: { min: number; max?: number; integer?: boolean }): number {
  const value = Number(argv[flag]);
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isFinite(value) || value < o.min || value > max || (o.integer && !Number.isInteger(value))) {
    const kind = o.integer ? 'a whole number' : 'a number';
    const range = o.max === undefined ? `of at least ${o.min}` : `from ${o.min} to ${o.max}`;
    // yargs has already turned a non-number into NaN; show what was typed.
    const typed = rawFlag(flag) ?? String(argv[flag]);
    throw new Error(`--${flag} ${JSON.stringify(typed)}: use ${kind} ${range}`);
  }
  return value;
}

/** The text given for `--flag` on the command line (`--flag=V` or `--flag V`), last one wins as in yargs. */
function rawFlag(flag: string): string | undefined {
  const args = hideBin(process.argv);
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${flag}`) value = args[i + 1];
    else if (args[i]!.startsWith(`--${flag}=`)) value = args[i]!.slice(flag.length + 3);
  }
  return value;
}

const port = (argv: Record<string, unknown>, flag: string) => numberFlag(argv, flag, { min: 1, max: 65535, integer: true });
const rate = (argv: Record<string, unknown>, flag: string) => numberFlag(argv, flag, { min: 0.001 });
const count = (argv: Record<string, unknown>, flag: string) => numberFlag(argv, flag, { min: 1, integer: true });

async function run(argv: Record<string, unknown>): Promise<number> {
  const level = String(argv['log-level']);
  if (!isLogLevel(level)) throw new Error(`--log-level "${level}": use debug, info, warn or error`);
  const d = (flag: string) => parseDuration(argv[flag] as string, flag);
  for (const [old, replacement] of Object.entries(RENAMED_FLAGS)) {
    if (argv[old] !== undefined) throw new Error(`--${old} was replaced: use ${replacement}`);
  }
  const webhookHost = String(argv['webhook-host']);
  const metricsBind = parseBindAddress(String(argv['metrics-bind-address']), '--metrics-bind-address');
  const metricsCertDir = argv['metrics-cert-dir'] as string | undefined;
  if (metricsCertDir !== undefined && metricsCertDir.trim() === '') throw new Error('--metrics-cert-dir "": name the folder holding tls.crt and tls.key, or leave the flag out for plain HTTP');
  const options: RunOptions = {
    kubeconfig: argv.kubeconfig as string | undefined,
    configMap: configMapRef(String(argv.configmap)),
    clusterName: String(argv['cluster-name']),
    region: argv.region as string | undefined,
    ec2Endpoint: argv['ec2-endpoint'] as string | undefined,
    ec2Qps: rate(argv, 'ec2-qps'),
    ec2Burst: count(argv, 'ec2-burst'),
    ec2TimeoutMs: d('ec2-timeout'),
    kubeQps: rate(argv, 'kube-qps'),
    kubeBurst: count(argv, 'kube-burst'),
    kubeBackgroundQps: rate(argv, 'kube-background-qps'),
    warmWriteConnections: numberFlag(argv, 'warm-write-connections', { min: 0, max: WRITE_CONNECTIONS, integer: true }),
    leaderElect: Boolean(argv['leader-elect']),
    leaderElection: {
      namespace: String(argv['leader-election-namespace']),
      name: String(argv['leader-election-id']),
      leaseDurationMs: d('lease-duration'),
      renewDeadlineMs: d('renew-deadline'),
      retryPeriodMs: d('retry-period'),
    },
    certDir: argv['cert-dir'] as string | undefined,
    webhookHost,
    webhookPort: port(argv, 'webhook-port'),
    metrics: {
      bind: metricsBind,
      auth: metricsAuthDefault(metricsBind, argv['metrics-auth'] as boolean | undefined),
      certDir: metricsCertDir,
    },
    health: parseBindAddress(String(argv['health-probe-bind-address']), '--health-probe-bind-address'),
    logLevel: level as LogLevel,
    identity: argv.identity as string | undefined,
    controllerUsernames: ((argv['controller-username'] as string[] | undefined) ?? []).map(String),
    timings: {
      coolDownMs: d('cool-down'),
      releaseHoldDownMs: d('release-hold-down'),
      demandHorizonMs: d('demand-horizon'),
      statusIntervalMs: d('status-interval'),
      unsupportedRetryMs: d('unsupported-retry'),
      drainMs: d('drain-timeout'),
    },
    concurrency: count(argv, 'concurrency'),
    ec2ResyncPeriodMs: d('ec2-resync-period'),
  };
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: `second ${name}: exiting now` })}\n`);
      process.exit(130);
    }
    stop.abort();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const end = await runController(options, stop.signal);
  // After a lost Lease our in-memory pools may be stale: exit so a restart rebuilds from the cluster and EC2.
  return end === 'lost-leadership' ? 1 : 0;
}

/**
 * The admission form for `manifests`: the version comes from --kubernetes-version, else from the API
 * server the kubeconfig names. An explicit --kubeconfig that cannot be read or reached is an error;
 * a default one that is missing or unreachable only leaves the version unknown.
 */
async function admissionForm(argv: Record<string, unknown>): Promise<AdmissionForm> {
  const choice = String(argv.admission) as AdmissionChoice;
  if (!ADMISSION_CHOICES.includes(choice)) throw new Error(`--admission "${choice}": use ${ADMISSION_CHOICES.join(', ')}`);
  const flagVersion = argv['kubernetes-version'] as string | undefined;
  if (flagVersion !== undefined) return chooseAdmissionForm(choice, parseKubernetesVersion(flagVersion), '--kubernetes-version');
  // The flags are valid: only now is the cluster asked.
  const explicit = argv.kubeconfig as string | undefined;
  let version: KubernetesVersion | undefined;
  let source: string;
  try {
    const kc = loadKubeConfig(explicit ? { kubeconfig: explicit } : {});
    const server = kc.getCurrentCluster()?.server ?? '';
    const info = await readServerVersion(kc);
    version = versionFromServerInfo(info);
    source = `the API server at ${server} reports ${info.gitVersion}`;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (explicit) throw new Error(`cannot read the API server's version with --kubeconfig ${explicit}: ${why}; pass --kubernetes-version to render without a cluster`);
    source = err instanceof KubeConfigError ? 'no kubeconfig found' : `the API server did not answer: ${why}`;
  }
  return chooseAdmissionForm(choice, version, source);
}

async function main(): Promise<number> {
  let code = 0;
  await yargs(hideBin(process.argv))
    .scriptName('winprefix-controller')
    // A flag given twice takes its last value (as kubectl does), so wrappers can override defaults.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .command(
      ['run', '$0'],
      'Run the Windows IPAM controller and its admission webhooks',
      (y) =>
        y
          .option('kubeconfig', { type: 'string', describe: 'Kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)' })
          .option('configmap', { type: 'string', default: `${DEFAULT_CONFIGMAP_NAMESPACE}/${DEFAULT_CONFIGMAP_NAME}`, describe: 'NAMESPACE/NAME of the IPAM ConfigMap' })
          .option('cluster-name', { type: 'string', default: 'kubernetes', describe: 'Cluster name (logs and messages)' })
          .option('region', { type: 'string', describe: 'AWS region (default: the SDK chain, AWS_REGION)' })
          .option('ec2-endpoint', { type: 'string', describe: 'EC2 endpoint override (e.g. the EC2 simulator)' })
          .option('ec2-qps', { type: 'number', default: 12, describe: 'EC2 calls per second for the whole process' })
          .option('ec2-burst', { type: 'number', default: 18, describe: 'EC2 burst above --ec2-qps' })
          .option('ec2-timeout', { type: 'string', default: '10s', describe: 'Timeout per EC2 HTTP attempt (a new leader waits --renew-deadline + this - --lease-duration before acting)' })
          .option('ec2-resync-period', { type: 'string', default: '90s', describe: 'Mean time between reads of every managed ENI (jittered by 20%; 0 turns them off): one DescribeNetworkInterfaces per 200 nodes' })
          .option('drain-timeout', { type: 'string', default: '10s', describe: 'On stop or on losing the Lease, how long EC2 calls and writes in flight are waited for before the Lease is released' })
          .option('kube-qps', { type: 'number', default: 50, describe: 'Kubernetes API calls per second (watches excluded)' })
          .option('kube-burst', { type: 'number', default: 100, describe: 'Kubernetes API burst' })
          .option('kube-background-qps', { type: 'number', default: 50, describe: 'Events and node status writes per second, on a budget of their own so they never delay a pod\'s annotation' })
          .option('warm-write-connections', { type: 'number', default: 8, describe: `Write connections the leader keeps open between bursts, at least, so a burst after a quiet minute does not wait for TLS handshakes; after a burst that used more, as many as it used, up to twice this, for 5 minutes (0 to ${WRITE_CONNECTIONS})` })
          .option('leader-elect', { type: 'boolean', default: true, describe: 'Run reconcilers only while holding the Lease' })
          .option('leader-election-namespace', { type: 'string', default: 'kube-system', describe: 'Namespace of the Lease' })
          .option('leader-election-id', { type: 'string', default: CONTROLLER_NAME, describe: 'Name of the Lease' })
          .option('lease-duration', { type: 'string', default: '15s', describe: 'How long a Lease is valid after its last renewal' })
          .option('renew-deadline', { type: 'string', default: '10s', describe: 'The leader gives up after failing to renew this long' })
          .option('retry-period', { type: 'string', default: '2s', describe: 'Time between Lease attempts' })
          .option('cert-dir', { type: 'string', describe: 'Directory with tls.crt and tls.key for the webhooks (reloaded on change)' })
          .option('webhook-host', { type: 'string', default: '0.0.0.0', describe: 'Address the webhook server listens on' })
          .option('webhook-port', { type: 'number', default: 9443, describe: 'HTTPS port of the webhooks' })
          .option('metrics-bind-address', { type: 'string', default: DEFAULT_METRICS_BIND, describe: 'HOST:PORT of /metrics (:PORT for every interface, 0 for none)' })
          .option('metrics-auth', { type: 'boolean', describe: 'Require a bearer token that RBAC allows to get /metrics (TokenReview + SubjectAccessReview); default: on unless the metrics address is loopback' })
          .option('metrics-cert-dir', { type: 'string', describe: 'Serve /metrics over HTTPS with tls.crt and tls.key from this folder (reloaded on change)' })
          .option('health-probe-bind-address', { type: 'string', default: DEFAULT_HEALTH_BIND, describe: 'HOST:PORT of /healthz and /readyz (:PORT for every interface, 0 for none)' })
          // Renamed; kept only to say so (see RENAMED_FLAGS).
          .option('probe-host', { type: 'string', hidden: true })
          .option('metrics-port', { type: 'string', hidden: true })
          .option('health-port', { type: 'string', hidden: true })
          .option('log-level', { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error'] })
          .option('identity', { type: 'string', describe: 'Leader-election identity (default: POD_NAME or host name, plus a random suffix)' })
          .option('controller-username', { type: 'string', array: true, describe: 'Extra usernames allowed to set the IP annotation' })
          .option('concurrency', { type: 'number', default: 10, describe: 'Nodes reconciled in parallel' })
          // Time constants tests shrink; production keeps upstream-compatible defaults.
          .option('cool-down', { type: 'string', default: `${COOL_DOWN_MS}ms`, hidden: true })
          .option('release-hold-down', { type: 'string', default: `${DEFAULT_RELEASE_HOLD_DOWN_MS}ms`, hidden: true })
          .option('demand-horizon', { type: 'string', default: `${DEMAND_HORIZON_MS}ms`, describe: 'During a burst, ask EC2 for the addresses pods arriving at the current rate will need over this long (0: only for pods already seen)' })
          .option('status-interval', { type: 'string', default: '5s', hidden: true })
          .option('unsupported-retry', { type: 'string', default: '10m', hidden: true }),
      async (argv) => {
        code = await run(argv as Record<string, unknown>);
      },
    )
    .command(
      'manifests',
      'Print the install manifest (namespace, RBAC, Deployment, the admission rules as policies or webhooks by the API server version, example ConfigMap)',
      (y) =>
        y
          .option('namespace', { type: 'string', default: DEFAULT_INSTALL.namespace })
          .option('image', { type: 'string', default: DEFAULT_INSTALL.image, describe: 'Controller image (default: the release image of this version)' })
          .option('configmap', { type: 'string', default: `${DEFAULT_INSTALL.configMap.namespace}/${DEFAULT_INSTALL.configMap.name}` })
          .option('cluster-name', { type: 'string', default: DEFAULT_INSTALL.clusterName })
          .option('region', { type: 'string', default: DEFAULT_INSTALL.region })
          .option('replicas', { type: 'number', default: DEFAULT_INSTALL.replicas })
          .option('admission', {
            type: 'string',
            default: 'auto',
            describe: 'auto: by the API server version (policies on >= 1.36, the guard as a policy on >= 1.30, else webhooks); policy: both as admission policies; webhook: both as webhooks',
          })
          .option('kubernetes-version', { type: 'string', describe: 'The API server version (e.g. 1.33) for --admission auto, instead of asking the cluster' })
          .option('kubeconfig', { type: 'string', describe: 'Kubeconfig naming the cluster whose version --admission auto reads (default: KUBECONFIG, ~/.kube/config)' })
          .option('controller-username', { type: 'string', array: true, describe: 'Extra usernames allowed to set the IP annotation, besides the ServiceAccount' })
          .option('role-arn', { type: 'string', describe: 'IAM role for IRSA: annotates the ServiceAccount with eks.amazonaws.com/role-arn' }),
      async (argv) => {
        // Every flag is checked before the cluster is asked for its version or anything is printed.
        const install = {
          ...DEFAULT_INSTALL,
          namespace: argv.namespace,
          image: argv.image,
          configMap: configMapRef(argv.configmap),
          clusterName: argv['cluster-name'],
          region: argv.region,
          replicas: numberFlag(argv, 'replicas', { min: 0, integer: true }),
          controllerUsernames: ((argv['controller-username'] as string[] | undefined) ?? []).map(String),
          ...(argv['role-arn'] !== undefined ? { roleArn: checkRoleArn(String(argv['role-arn'])) } : {}),
        };
        const admission = await admissionForm(argv as Record<string, unknown>);
        process.stderr.write(`manifests: ${describeForm(admission)} (${admission.reason})\n`);
        process.stdout.write(renderInstallManifest({ ...install, admission }));
      },
    )
    .command('version', 'Print the version, the commit it was built from and the runtime', {}, () => {
      process.stdout.write(versionText());
    })
    .strict()
    // `version` is a command, as in kubectl; yargs' own --version would print package.json's version without the commit.
    .version(false)
    .help()
    // Errors go to main's handler (one JSON line, exit 2), not yargs' usage dump with a stack trace.
    .fail(false)
    .parseAsync();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'controller failed', error: err instanceof Error ? err.message : String(err) })}\n`);
    process.exit(2);
  },
);
