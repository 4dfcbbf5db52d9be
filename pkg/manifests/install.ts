/**
 * @module
 * The complete install manifest as Kubernetes objects, plus its YAML rendering. One function per
 * concern; `installObjects` only assembles them, so tests can take the exact RBAC and webhook
 * objects that ship.
 */
import { dump } from 'js-yaml';
import { buildInfo } from '../support/build-info.ts';
import { CONTROLLER_NAME, ConfigKeys, DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE } from '../core/contract.ts';
import { configMapRules, controllerClusterRules, leaderElectionRules, METRICS_READER_ROLE, metricsReaderRules } from './rbac.ts';
import { webhookConfigurations } from './webhooks.ts';
import { guardPolicyObjects, mutationPolicyObjects } from '../core/admission/admission-policies.ts';
import { chooseAdmissionForm, describeForm, type AdmissionForm } from './admission-form.ts';

export interface InstallOptions {
  namespace: string;
  image: string;
  configMap: { namespace: string; name: string };
  clusterName: string;
  region: string;
  leaseName: string;
  replicas: number;
  /** Which admission rules run as policies and which as webhooks (admission-form.ts). */
  admission: AdmissionForm;
  /** Identities besides the controller's ServiceAccount that may write the IP annotation (--controller-username). */
  controllerUsernames: string[];
  /** IRSA: the IAM role the ServiceAccount is annotated with (eks.amazonaws.com/role-arn); none for EKS Pod Identity or node roles. */
  roleArn?: string;
}

/** Where the release pipeline pushes the image the Dockerfile builds, tagged with the version without its v. */
export const CONTROLLER_IMAGE_REPOSITORY = 'ghcr.io/winprefix/controller';

export function defaultControllerImage(version: string = buildInfo().version): string {
  return `${CONTROLLER_IMAGE_REPOSITORY}:${version.replace(/^v/, '')}`;
}

/** The ServiceAccount annotation IRSA reads (EKS's pod identity webhook injects the role's credentials). */
export const IRSA_ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';

/** An IAM role ARN as IRSA needs it (any AWS partition); throws saying what is wrong and what to give instead. */
export function checkRoleArn(text: string): string {
  if (/^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(text)) return text;
  throw new Error(
    `--role-arn "${text}" is not an IAM role ARN: give the role's ARN, e.g. arn:aws:iam::111122223333:role/winprefix-controller ` +
      '(aws iam get-role --role-name NAME --query Role.Arn)',
  );
}

export const DEFAULT_INSTALL: InstallOptions = {
  namespace: 'winprefix-system',
  image: defaultControllerImage(),
  configMap: { namespace: DEFAULT_CONFIGMAP_NAMESPACE, name: DEFAULT_CONFIGMAP_NAME },
  clusterName: 'my-cluster',
  region: 'us-west-2',
  leaseName: CONTROLLER_NAME,
  replicas: 2,
  admission: chooseAdmissionForm('auto', undefined, 'none given'),
  controllerUsernames: [],
};

type K8sObject = Record<string, unknown>;

const NAME = CONTROLLER_NAME;
const LABELS = { 'app.kubernetes.io/name': 'winprefix', 'app.kubernetes.io/component': 'controller' };
const WEBHOOK_PORT = 9443;
/** HTTPS with bearer tokens (the controller's default 8080 is plain HTTP on loopback). */
const METRICS_PORT = 8443;
const HEALTH_PORT = 8081;
const CERT_DIR = '/tmp/k8s-webhook-server/serving-certs';
const CERT_NAME = `${NAME}-webhook`;

export function serviceAccountName(): string {
  return NAME;
}

/** Who may write the IP annotation: the ServiceAccount's username, then the extra ones. */
export function controllerUsernames(o: InstallOptions): string[] {
  return [...new Set([`system:serviceaccount:${o.namespace}:${NAME}`, ...o.controllerUsernames])];
}

/** The install runs a webhook server (and so needs the Service and a certificate). */
function servesWebhooks(o: InstallOptions): boolean {
  return o.admission.mutation === 'webhook' || o.admission.guard === 'webhook';
}

/** ClusterRole + binding, and a Role + binding per namespace the controller reads or writes in. */
export function rbacObjects(o: InstallOptions, subject: { kind: 'ServiceAccount'; name: string; namespace: string } | { kind: 'User'; name: string } = { kind: 'ServiceAccount', name: NAME, namespace: o.namespace }): K8sObject[] {
  const subjects = [subject.kind === 'User' ? { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: subject.name } : subject];
  const role = (name: string, namespace: string, rules: unknown): K8sObject[] => [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace, labels: LABELS }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    },
  ];
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: NAME, labels: LABELS }, rules: controllerClusterRules() },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: NAME, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME },
      subjects,
    },
    ...role(`${NAME}-config`, o.configMap.namespace, configMapRules(o.configMap.name)),
    ...role(`${NAME}-leader-election`, o.namespace, leaderElectionRules(o.leaseName)),
  ];
}

/** Bind Prometheus's service account to this to scrape /metrics (docs/controller.md, "Metrics"). */
export function metricsReaderRole(): K8sObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: METRICS_READER_ROLE, labels: LABELS }, rules: metricsReaderRules() };
}

function certificateObjects(o: InstallOptions): K8sObject[] {
  return [
    { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: `${NAME}-selfsigned`, namespace: o.namespace, labels: LABELS }, spec: { selfSigned: {} } },
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: CERT_NAME, namespace: o.namespace, labels: LABELS },
      spec: {
        secretName: CERT_NAME,
        dnsNames: [`${NAME}.${o.namespace}.svc`, `${NAME}.${o.namespace}.svc.cluster.local`],
        issuerRef: { kind: 'Issuer', name: `${NAME}-selfsigned` },
      },
    },
  ];
}

function deployment(o: InstallOptions): K8sObject {
  const webhooks = servesWebhooks(o);
  const probe = (path: string) => ({ httpGet: { path, port: HEALTH_PORT }, periodSeconds: 10, timeoutSeconds: 3 });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: NAME, namespace: o.namespace, labels: LABELS },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: LABELS },
      template: {
        metadata: { labels: LABELS },
        spec: {
          serviceAccountName: NAME,
          priorityClassName: 'system-cluster-critical',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: LABELS } } },
              ],
            },
          },
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'controller',
              image: o.image,
              // No command: the image's entrypoint runs the bundle (Dockerfile), so any image built from it works.
              args: [
                'run',
                `--configmap=${o.configMap.namespace}/${o.configMap.name}`,
                `--cluster-name=${o.clusterName}`,
                `--region=${o.region}`,
                `--leader-election-namespace=${o.namespace}`,
                `--leader-election-id=${o.leaseName}`,
                ...(webhooks ? [`--cert-dir=${CERT_DIR}`, `--webhook-port=${WEBHOOK_PORT}`] : []),
                ...(o.admission.guard === 'webhook' ? o.controllerUsernames.map((u) => `--controller-username=${u}`) : []),
                // Every interface, so Prometheus can reach it; hence a bearer token checked with the API server
                // (on by default off loopback), and HTTPS with the webhook's cert-manager certificate where
                // there is one (with both rules as policies there is none: see the Deployment's note).
                `--metrics-bind-address=:${METRICS_PORT}`,
                ...(webhooks ? [`--metrics-cert-dir=${CERT_DIR}`] : []),
                // Every interface: the kubelet probes the pod IP, never the pod's loopback.
                `--health-probe-bind-address=:${HEALTH_PORT}`,
              ],
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [
                ...(webhooks ? [{ name: 'webhook', containerPort: WEBHOOK_PORT }] : []),
                { name: webhooks ? 'https-metrics' : 'http-metrics', containerPort: METRICS_PORT },
                { name: 'health', containerPort: HEALTH_PORT },
              ],
              livenessProbe: probe('/healthz'),
              readinessProbe: probe('/readyz'),
              resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '384Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              ...(webhooks ? { volumeMounts: [{ name: 'webhook-cert', mountPath: CERT_DIR, readOnly: true }] } : {}),
            },
          ],
          ...(webhooks ? { volumes: [{ name: 'webhook-cert', secret: { secretName: CERT_NAME } }] } : {}),
        },
      },
    },
  };
}

function service(o: InstallOptions): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: NAME, namespace: o.namespace, labels: LABELS },
    spec: {
      selector: LABELS,
      ports: [
        { name: 'webhook', port: 443, targetPort: WEBHOOK_PORT },
        { name: 'https-metrics', port: METRICS_PORT, targetPort: METRICS_PORT },
      ],
    },
  };
}

/**
 * The admission rules in the form `o.admission` names: policies (objects the API server evaluates)
 * and webhook registrations pointed at the Service.
 */
export function admissionObjects(o: InstallOptions): K8sObject[] {
  const policy = { configMap: o.configMap, controllerUsernames: controllerUsernames(o), labels: LABELS };
  const hooks = webhookConfigurations(
    { kind: 'service', namespace: o.namespace, name: NAME, port: 443, certificateRef: `${o.namespace}/${CERT_NAME}` },
    {
      mutation: o.admission.mutation === 'webhook',
      guard: o.admission.guard === 'webhook',
      excludeNamespaces: [o.namespace],
      controllerUsernames: controllerUsernames(o),
      matchConditions: o.admission.webhookMatchConditions,
    },
  );
  return [
    ...(o.admission.mutation === 'policy' ? mutationPolicyObjects(policy) : []),
    ...(o.admission.guard === 'policy' ? guardPolicyObjects(policy) : []),
    ...(servesWebhooks(o) ? hooks : []),
  ];
}

function serviceAccount(o: InstallOptions): K8sObject {
  const annotations = o.roleArn ? { annotations: { [IRSA_ROLE_ANNOTATION]: o.roleArn } } : {};
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME, namespace: o.namespace, labels: LABELS, ...annotations } };
}

export function installObjects(o: InstallOptions): K8sObject[] {
  const webhooks = servesWebhooks(o);
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace, labels: LABELS } },
    serviceAccount(o),
    ...rbacObjects(o),
    metricsReaderRole(),
    ...(webhooks ? certificateObjects(o) : []),
    deployment(o),
    ...(webhooks ? [service(o)] : []),
    ...admissionObjects(o),
  ];
}

/** The example ConfigMap, commented line by line; kept as text because YAML comments do not survive dump(). */
function exampleConfigMap(o: InstallOptions): string {
  return [
    '# Example configuration (upstream keys; this controller reads the ConfigMap named by --configmap).',
    '# Apply it only if your cluster has none yet: on EKS the managed controller reads kube-system/amazon-vpc-cni,',
    '# so point --configmap at another one if both controllers run side by side.',
    '# apiVersion: v1',
    '# kind: ConfigMap',
    '# metadata:',
    `#   name: ${o.configMap.name}`,
    `#   namespace: ${o.configMap.namespace}`,
    '# data:',
    `#   ${ConfigKeys.enableWindowsIpam}: "true"               # hand out pod addresses on Windows nodes`,
    `#   ${ConfigKeys.enableWindowsPrefixDelegation}: "true"   # /28 prefixes (16 addresses per ENI slot) on Nitro nodes`,
    `#   ${ConfigKeys.windowsWarmIPTarget}: "1"                # free addresses kept ready (default 1 in prefix mode, 3 in secondary)`,
    `#   ${ConfigKeys.windowsMinimumIPTarget}: "3"             # addresses kept on the node however few pods run (default 3)`,
    `#   ${ConfigKeys.windowsWarmPrefixTarget}: "0"            # whole free prefixes kept ready; used only when the two above are unset`,
  ].join('\n');
}

/** Said above an object in the rendered YAML (comments do not survive dump()). */
const NOTES: Record<string, string[]> = {
  Deployment: [
    '# Listeners: webhooks on :9443 (HTTPS), when a rule is a webhook. Health probes on :8081 on every interface,',
    '# because the kubelet probes the pod IP, not the pod\'s loopback; they serve only /healthz and /readyz.',
    '# Metrics on :8443: over HTTPS with the webhook certificate when there is one, else plain HTTP (add',
    '# --metrics-cert-dir with a certificate of your own for HTTPS); a caller needs a bearer token whose user RBAC',
    `# allows to get /metrics (ClusterRole ${METRICS_READER_ROLE}), checked with TokenReview and SubjectAccessReview.`,
    '# Without these flags both listen on 127.0.0.1 only.',
  ],
  [`ClusterRole/${METRICS_READER_ROLE}`]: [`# Bind Prometheus's service account to ${METRICS_READER_ROLE} to scrape /metrics (see docs/controller.md, 'Metrics').`],
};

export function renderInstallManifest(o: InstallOptions): string {
  const docs = installObjects(o).map((obj) => {
    const meta = obj.metadata as { name?: string } | undefined;
    const notes = NOTES[`${String(obj.kind)}/${meta?.name ?? ''}`] ?? NOTES[String(obj.kind)] ?? [];
    return [...notes, dump(obj, { lineWidth: 120, noRefs: true }).trimEnd()].join('\n');
  });
  const header = [
    `# winprefix controller: install manifest${servesWebhooks(o) ? ' (requires cert-manager for the webhook certificate)' : ''}`,
    `# admission: ${describeForm(o.admission)}`,
    `#   because: ${o.admission.reason}`,
  ];
  return [...header, ...docs.map((d) => `---\n${d}`), `---\n${exampleConfigMap(o)}`].join('\n') + '\n';
}
