/**
 * @module
 * krew's manifest validation (kubernetes-sigs/krew internal/index/validation/validate.go and
 * cmd/validate-krew-manifest, v0.4.5) plus the krew-index review rules that can be checked
 * mechanically (short description length, license in the archive). Returns every violation.
 */

const SUPPORTED: ReadonlyArray<{ os: string; arch: string }> = [
  ...['386', 'amd64', 'arm64'].map((arch) => ({ os: 'windows', arch })),
  ...['386', 'amd64', 'arm', 'arm64', 'ppc64le'].map((arch) => ({ os: 'linux', arch })),
  ...['386', 'amd64', 'arm64'].map((arch) => ({ os: 'darwin', arch })),
];
const WINDOWS_RESERVED = /^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])$/i;
const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

function matches(selector: Selector, labels: { os: string; arch: string }): boolean {
  const get = (k: string) => (k === 'os' ? labels.os : k === 'arch' ? labels.arch : undefined);
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (get(k) !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = get(e.key);
    const inValues = value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && value === undefined) return false;
    if (e.operator === 'DoesNotExist' && value !== undefined) return false;
  }
  return true;
}

export function validateKrewManifest(doc: unknown, manifestFileName: string): string[] {
  const errors: string[] = [];
  const m = doc as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown }; spec?: Record<string, unknown> };
  if (m?.apiVersion !== 'krew.googlecontainertools.github.com/v1alpha2') errors.push(`apiVersion must be krew.googlecontainertools.github.com/v1alpha2, got ${String(m?.apiVersion)}`);
  if (m?.kind !== 'Plugin') errors.push(`kind must be Plugin, got ${String(m?.kind)}`);
  const name = m?.metadata?.name;
  if (typeof name !== 'string' || !/^[\w-]+$/.test(name)) errors.push(`metadata.name must match ^[\\w-]+$, got ${String(name)}`);
  else {
    if (WINDOWS_RESERVED.test(name)) errors.push(`metadata.name ${name} is a Windows reserved name`);
    if (manifestFileName !== `${name}.yaml`) errors.push(`the manifest must be filed as ${name}.yaml in the index, not ${manifestFileName}`);
  }
  const spec = m?.spec ?? {};
  const short = spec.shortDescription;
  if (typeof short !== 'string' || short.trim() === '') errors.push('spec.shortDescription is required');
  else {
    if (/[\r\n]/.test(short)) errors.push('spec.shortDescription must be one line');
    if (short.length > 50) errors.push(`spec.shortDescription is ${short.length} characters; reviewers ask for <= 50`);
    if (/kubectl plugin|a tool to/i.test(short)) errors.push('spec.shortDescription repeats "kubectl plugin" / "a tool to"');
  }
  if (typeof spec.description !== 'string' || spec.description.trim() === '') errors.push('spec.description is required');
  if (typeof spec.version !== 'string' || !SEMVER.test(spec.version)) errors.push(`spec.version must be semver with a leading v, got ${String(spec.version)}`);
  const platforms = spec.platforms as Array<Record<string, unknown>> | undefined;
  if (!Array.isArray(platforms) || platforms.length === 0) {
    errors.push('spec.platforms needs at least one platform');
    return errors;
  }
  platforms.forEach((p, i) => {
    const at = `spec.platforms[${i}]`;
    if (typeof p.uri !== 'string' || p.uri === '') errors.push(`${at}.uri is required`);
    else if (!/\.(tar\.gz|tgz|zip)$/.test(p.uri)) errors.push(`${at}.uri must be a .tar.gz or .zip archive`);
    if (typeof p.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(p.sha256)) errors.push(`${at}.sha256 must be 64 lowercase hex digits`);
    if (typeof p.bin !== 'string' || p.bin === '') errors.push(`${at}.bin is required`);
    for (const [j, f] of ((p.files as Array<{ from?: string; to?: string }>) ?? []).entries()) {
      if (!f.from || !f.to) errors.push(`${at}.files[${j}] needs both from and to`);
    }
    const sel = p.selector as Selector | undefined;
    const keys = [...Object.keys(sel?.matchLabels ?? {}), ...(sel?.matchExpressions ?? []).map((e) => e.key)];
    if (!sel || keys.length === 0) errors.push(`${at}.selector must be set and non-empty`);
    else {
      const bad = keys.filter((k) => k !== 'os' && k !== 'arch');
      if (bad.length > 0) errors.push(`${at}.selector may use only os and arch, not ${bad.join(', ')}`);
      if (!SUPPORTED.some((l) => matches(sel, l))) errors.push(`${at}.selector matches no supported os/arch`);
    }
  });
  for (const l of SUPPORTED) {
    const hits = platforms.filter((p) => p.selector && matches(p.selector as Selector, l)).length;
    if (hits > 1) errors.push(`${l.os}/${l.arch} is matched by ${hits} platforms`);
  }
  return errors;
}

/** krew installs fail unless a license file ends up in the install folder. */
export function hasLicenseFile(archiveEntries: readonly string[]): boolean {
  return archiveEntries.some((e) => /(^|\/)(licen[cs]e|copying)(\.[a-z]+)?$/i.test(e));
}
