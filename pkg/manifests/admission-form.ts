/**
 * @module
 * Which form the admission rules take in an install, by the API server's version:
 *
 * | API server  | pod mutation             | IP-annotation guard                                   |
 * |-------------|--------------------------|-------------------------------------------------------|
 * | >= 1.36     | MutatingAdmissionPolicy  | ValidatingAdmissionPolicy                             |
 * | 1.30 - 1.35 | webhook                  | ValidatingAdmissionPolicy                             |
 * | older       | webhook                  | webhook (failurePolicy Fail; match conditions >= 1.28) |
 *
 * `--admission auto` picks the row; `policy` and `webhook` force a column pair. Pure: the caller
 * finds the version (flag or GET /version) and says where it came from.
 */

export type AdmissionChoice = 'auto' | 'policy' | 'webhook';
export const ADMISSION_CHOICES: readonly AdmissionChoice[] = ['auto', 'policy', 'webhook'];

export interface KubernetesVersion {
  major: number;
  minor: number;
}

/** Where each API first serves what the forms need (admissionregistration.k8s.io/v1, on by default). */
export const MIN_VERSION = {
  mutatingAdmissionPolicy: { major: 1, minor: 36 },
  validatingAdmissionPolicy: { major: 1, minor: 30 },
  webhookMatchConditions: { major: 1, minor: 28 },
} as const satisfies Record<string, KubernetesVersion>;

export interface AdmissionForm {
  mutation: 'policy' | 'webhook';
  guard: 'policy' | 'webhook';
  /**
   * Webhook registrations carry CEL match conditions: the guard sees only writes that touch the
   * annotation and never the controller's own. Off only for servers known to predate them.
   */
  webhookMatchConditions: boolean;
  /** One sentence: what was chosen and why (the manifest's comment and the line on stderr). */
  reason: string;
}

export function formatVersion(v: KubernetesVersion): string {
  return `${v.major}.${v.minor}`;
}

function atLeast(v: KubernetesVersion, min: KubernetesVersion): boolean {
  return v.major > min.major || (v.major === min.major && v.minor >= min.minor);
}

/**
 * "1.33", "v1.36.3", "v1.32.9-eks-113cf36", or the /version fields major "1" and minor "31+"
 * (GKE and EKS add the plus).
 */
export function parseKubernetesVersion(text: string): KubernetesVersion {
  const m = /^v?(\d+)\.(\d+)\+?(?:[.-].*)?$/.exec(text.trim());
  if (!m) throw new Error(`Kubernetes version "${text}": use MAJOR.MINOR, e.g. 1.33 or v1.36.3 (what kubectl version shows for the server)`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** The /version answer's major and minor fields, falling back to gitVersion. */
export function versionFromServerInfo(info: { major?: string; minor?: string; gitVersion?: string }): KubernetesVersion {
  const major = Number((info.major ?? '').replace(/\D+$/, ''));
  const minor = Number((info.minor ?? '').replace(/\D+$/, ''));
  if (info.major && info.minor && Number.isInteger(major) && Number.isInteger(minor)) return { major, minor };
  return parseKubernetesVersion(info.gitVersion ?? '');
}

/** What the form means, in words. */
export function describeForm(f: AdmissionForm): string {
  const guard = f.guard === 'policy' ? 'ValidatingAdmissionPolicy' : `validating webhook${f.webhookMatchConditions ? '' : ' without match conditions'}`;
  const mutation = f.mutation === 'policy' ? 'MutatingAdmissionPolicy' : 'mutating webhook';
  return `pod mutation as ${mutation}, IP-annotation guard as ${guard}`;
}

/**
 * @param version the API server's version when known
 * @param source where the version came from, or why it is unknown ("the API server at ... reports",
 *   "--kubernetes-version", "no kubeconfig found")
 */
export function chooseAdmissionForm(choice: AdmissionChoice, version: KubernetesVersion | undefined, source: string): AdmissionForm {
  const v = version ? `Kubernetes ${formatVersion(version)} (${source})` : undefined;
  const matchConditions = version ? atLeast(version, MIN_VERSION.webhookMatchConditions) : true;
  if (choice === 'policy') {
    const min = MIN_VERSION.mutatingAdmissionPolicy;
    if (version && !atLeast(version, min)) {
      throw new Error(
        `--admission policy needs Kubernetes >= ${formatVersion(min)} (MutatingAdmissionPolicy v1), but the cluster is ${v}: ` +
          `use --admission auto (on >= ${formatVersion(MIN_VERSION.validatingAdmissionPolicy)} the guard is still a ValidatingAdmissionPolicy) or --admission webhook`,
      );
    }
    return { mutation: 'policy', guard: 'policy', webhookMatchConditions: matchConditions, reason: `--admission policy${v ? ` on ${v}` : `; needs Kubernetes >= ${formatVersion(min)}`}` };
  }
  if (choice === 'webhook') {
    return {
      mutation: 'webhook',
      guard: 'webhook',
      webhookMatchConditions: matchConditions,
      reason: `--admission webhook${v ? ` on ${v}` : `; assumes Kubernetes >= ${formatVersion(MIN_VERSION.webhookMatchConditions)} for match conditions (pass --kubernetes-version for an older server)`}`,
    };
  }
  if (!version) {
    return {
      mutation: 'webhook',
      guard: 'policy',
      webhookMatchConditions: true,
      reason:
        `--admission auto without a known server version (${source}): the form every Kubernetes >= ` +
        `${formatVersion(MIN_VERSION.validatingAdmissionPolicy)} runs; pass --kubernetes-version or a reachable --kubeconfig to choose by version`,
    };
  }
  if (atLeast(version, MIN_VERSION.mutatingAdmissionPolicy)) {
    return { mutation: 'policy', guard: 'policy', webhookMatchConditions: true, reason: `--admission auto on ${v}: both rules run inside the API server` };
  }
  if (atLeast(version, MIN_VERSION.validatingAdmissionPolicy)) {
    return {
      mutation: 'webhook',
      guard: 'policy',
      webhookMatchConditions: true,
      reason: `--admission auto on ${v}: MutatingAdmissionPolicy v1 needs ${formatVersion(MIN_VERSION.mutatingAdmissionPolicy)}, so the mutation stays a webhook`,
    };
  }
  return {
    mutation: 'webhook',
    guard: 'webhook',
    webhookMatchConditions: matchConditions,
    reason: `--admission auto on ${v}: admission policies need ${formatVersion(MIN_VERSION.validatingAdmissionPolicy)}${matchConditions ? '' : `, webhook match conditions ${formatVersion(MIN_VERSION.webhookMatchConditions)}`}`,
  };
}
