/**
 * @module
 * Failures worded as kubectl users know them, for every plugin command: which server, what it said or
 * which socket error stopped it, and what to check. Kubernetes API errors keep pkg/kube/errors.ts's
 * wording (the missing RBAC rule); EC2 errors are worded by class (Ec2Error.kind) with the region,
 * endpoint and profile that were used, never by their text.
 */
import { Ec2Error } from '../pkg/core/ec2/errors.ts';
import { KubeApiError } from '../pkg/adapters/kube/errors.ts';
import { CliError } from './io.ts';
import { KubeUnreachableError } from './kube/rest.ts';

/** A one-line CliError from a failed Kubernetes call; `notFound` replaces the message for a 404. */
export function kubeFailure(err: unknown, call: string, notFound?: string): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof KubeUnreachableError) {
    const hint =
      err.code === 'ECONNREFUSED'
        ? ' - did you specify the right host or port?'
        : err.code === 'TIMEOUT'
          ? ''
          : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
            ? ' - check the server name in the kubeconfig and DNS'
            : '';
    return new CliError(`unable to connect to the server ${err.server} to ${call}: ${err.message}${hint} (check --kubeconfig, --context and the network)`, undefined, { cause: err });
  }
  const k = KubeApiError.from(err);
  if (k instanceof KubeApiError) {
    if (k.reason === 'NotFound' && notFound) return new CliError(notFound, undefined, { cause: err });
    if (k.reason === 'Forbidden' && !k.permission) {
      return new CliError(`Kubernetes denied "${call}": grant it in a ClusterRole bound to this identity (${k.serverMessage || 'forbidden'})`, undefined, { cause: err });
    }
    return new CliError(k.message, undefined, { cause: err });
  }
  return new CliError(`${call} failed: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
}

/** Where EC2 was asked, for messages that must say which region, endpoint and credentials were used. */
export interface Ec2Where {
  region: string;
  regionSource: string;
  endpoint: string;
  profile: string | undefined;
  profileSource: string | undefined;
}

export function credentialsText(w: Pick<Ec2Where, 'profile' | 'profileSource'>): string {
  return w.profile ? `the credentials of AWS profile "${w.profile}" (${w.profileSource})` : 'the credentials of the default AWS chain';
}

/** One line that says what failed, where, and what to do, by the error's class (never its text). */
export function ec2Failure(err: unknown, w: Ec2Where): string {
  if (err instanceof CliError) return err.message;
  if (!(err instanceof Ec2Error)) return `EC2 failed: ${(err as Error)?.message ?? String(err)}`;
  switch (err.kind) {
    case 'unauthorized':
      if (err.code === 'CredentialsProviderError') {
        return w.profile
          ? `AWS profile "${w.profile}" (${w.profileSource}) gave no credentials: ${err.message.split('\n')[0]} (for an SSO profile: aws sso login --profile ${w.profile})`
          : 'no AWS credentials found: set AWS_PROFILE or pass --profile, or configure credentials (aws configure, aws sso login)';
      }
      return `AWS denied ${err.permission} (${err.code}) to ${credentialsText(w)}: allow ${err.permission} for that IAM identity`;
    case 'unreachable':
      return `${err.message.startsWith('EC2 endpoint') ? err.message : `EC2 endpoint ${w.endpoint} is unreachable (${err.code})`}: check --ec2-endpoint or AWS_ENDPOINT_URL_EC2, the network and --region (${w.region}, from ${w.regionSource})`;
    case 'throttled':
      return `EC2 throttled ${err.action} in ${w.region} (${err.code}) after retries: try again in a minute; something else in this account is calling EC2 heavily`;
    default:
      return `${err.message} (region ${w.region} from ${w.regionSource}, endpoint ${w.endpoint})`;
  }
}

/** The EC2 error code to report in JSON (`ec2.errorCode`). */
export function ec2ErrorCode(err: unknown): string | null {
  return err instanceof Ec2Error ? err.code : null;
}

/** kubectl's usage errors: `error: unknown flag: --bogus` and where to read the usage. */
export function usageError(message: string, commandPath: string): CliError {
  return new CliError(message, undefined, { hint: `See '${commandPath} --help' for usage.` });
}
