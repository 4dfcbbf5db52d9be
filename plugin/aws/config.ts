/**
 * @module
 * Which AWS profile, region and credentials a plugin command uses, resolved as the AWS CLI users expect:
 * the profile from --profile, else AWS_PROFILE; a named profile must exist in ~/.aws/config or
 * ~/.aws/credentials (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE), and one that does not is named as
 * such before any credential provider runs; the region from --region, else the node's own (its zone),
 * else AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`. Credentials come from the SDK's
 * default chain (@aws-sdk/credential-provider-node: environment, profile, SSO, web identity, process,
 * container and instance metadata), loaded only when EC2 is actually asked.
 */
import { CliError } from '../io.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

type SharedFiles = { configFile: Record<string, Record<string, string | undefined>>; credentialsFile: Record<string, Record<string, string | undefined>> };

let sharedFiles: Promise<SharedFiles> | undefined;

/** ~/.aws/config and ~/.aws/credentials as the SDK reads them (the same parser), once per run. */
function loadShared(): Promise<SharedFiles> {
  sharedFiles ??= import('@smithy/core/config').then((m) => m.loadSharedConfigFiles() as Promise<SharedFiles>);
  return sharedFiles;
}

const configPath = (env: Readonly<Record<string, string | undefined>>) => env.AWS_CONFIG_FILE ?? '~/.aws/config';
const credentialsPath = (env: Readonly<Record<string, string | undefined>>) => env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials';

/** --profile, else AWS_PROFILE; undefined means the SDK's default chain without a named profile. */
export function profileName(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  return flag ?? (env.AWS_PROFILE || undefined);
}

/** Throws a CliError naming the profile when neither shared file defines it. */
export async function requireProfile(profile: string, via: string, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const files = await loadShared();
  if (Object.hasOwn(files.configFile, profile) || Object.hasOwn(files.credentialsFile, profile)) return;
  const known = [...new Set([...Object.keys(files.configFile), ...Object.keys(files.credentialsFile)])].filter((p) => !p.includes('.')).sort();
  throw new CliError(
    `AWS profile "${profile}" (from ${via}) does not exist in ${configPath(env)} or ${credentialsPath(env)}; ${known.length > 0 ? `profiles there: ${known.join(', ')}` : 'those files define no profile'}: fix ${via}, or set up the profile (aws configure --profile ${profile})`,
  );
}

/** The `region` of a shared-config profile ("default" when none is named), or undefined. */
export async function profileRegion(profile: string | undefined): Promise<string | undefined> {
  const files = await loadShared().catch(() => undefined);
  const region = files?.configFile[profile ?? 'default']?.region;
  return region || undefined;
}

export type RegionSource = '--region' | 'the node' | 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'the AWS profile';

/** The region EC2 is asked in, and what chose it (for messages about the wrong region). */
export async function resolveRegion(o: {
  flag: string | undefined;
  node: string | null;
  profile: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
}): Promise<{ region: string; source: RegionSource } | undefined> {
  if (o.flag) return { region: o.flag, source: '--region' };
  if (o.node) return { region: o.node, source: 'the node' };
  if (o.env.AWS_REGION) return { region: o.env.AWS_REGION, source: 'AWS_REGION' };
  if (o.env.AWS_DEFAULT_REGION) return { region: o.env.AWS_DEFAULT_REGION, source: 'AWS_DEFAULT_REGION' };
  const fromProfile = await profileRegion(o.profile);
  return fromProfile ? { region: fromProfile, source: 'the AWS profile' } : undefined;
}

/**
 * A memoised provider for the default credential chain (loaded only when the environment's static keys
 * do not already answer). `warn` receives the SDK's warnings (both a profile and static keys set)
 * instead of its console.warn.
 */
export function credentialProvider(profile: string | undefined, env: Readonly<Record<string, string | undefined>>, warn: (line: string) => void): () => Promise<AwsCredentials> {
  let pending: Promise<AwsCredentials> | undefined;
  return () => {
    pending ??= (async () => {
      // The chain's first link, without loading the chain: static keys in the environment and no profile.
      if (!profile && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
        return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
      }
      const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
      const quiet = () => {};
      const logger = {
        debug: quiet,
        info: quiet,
        trace: quiet,
        error: quiet,
        warn: (...parts: unknown[]) => {
          const text = parts.map(String).join(' ');
          if (/Multiple credential sources/.test(text)) warn('both AWS_PROFILE and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set; the profile is used');
        },
      };
      const c = await defaultProvider({ ...(profile ? { profile } : {}), logger })();
      return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
    })();
    return pending;
  };
}
