/**
 * @module
 * The EC2 reader for a command that reads many nodes (`subnets`, `migrate`): profile checked, credentials
 * from the SDK's chain, the region from --region, else the nodes' (their zone), else the environment or the
 * profile, as `describe node` chooses it for one node (plugin/aws/config.ts). The reader and where it
 * points, for messages that must say which region, endpoint and credentials were used.
 */
import { EC2_DEFAULT_TIMEOUT_MS, type AwsConnection } from '../connection-flags.ts';
import { Env } from '../env.ts';
import type { Ec2Where } from '../errors.ts';
import { CliError } from '../io.ts';
import type { Progress } from '../progress.ts';
import { createEc2Reader, type Ec2Reader } from './ec2-reader.ts';

export interface Ec2Connection {
  reader: Ec2Reader;
  where: Ec2Where;
}

export async function connectEc2(o: {
  aws: AwsConnection;
  env: Readonly<Record<string, string | undefined>>;
  /** The region the nodes name, when they name one. */
  nodeRegion: string | null;
  timeoutMs: number | undefined;
  userAgent: string;
  progress: Progress;
  warn(line: string): void;
}): Promise<Ec2Connection> {
  const config = await import('./config.ts');
  const profile = config.profileName(o.aws.profile, o.env);
  const profileSource = o.aws.profile ? '--profile' : profile ? 'AWS_PROFILE' : undefined;
  if (profile) await config.requireProfile(profile, profileSource!, o.env);
  const credentials = config.credentialProvider(profile, o.env, o.warn);
  const region = await config.resolveRegion({ flag: o.aws.region, node: o.nodeRegion, profile, env: o.env });
  if (!region) {
    throw new CliError('no AWS region: no node names one in its providerID or zone label, and neither AWS_REGION, AWS_DEFAULT_REGION nor the AWS profile sets one; pass --region');
  }
  const endpoint = o.aws.endpoint ?? o.env[Env.ec2Endpoint] ?? o.env[Env.anyEndpoint];
  const reader = createEc2Reader({
    region: region.region,
    endpoint,
    credentials,
    timeoutMs: o.timeoutMs ?? EC2_DEFAULT_TIMEOUT_MS,
    userAgent: o.userAgent,
    onRequest: (what) => o.progress.track(`EC2 ${what}`, `${reader.endpoint}, ${region.region}`),
  });
  return { reader, where: { region: region.region, regionSource: region.source, endpoint: reader.endpoint, profile, profileSource } };
}
