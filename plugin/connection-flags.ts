/**
 * @module
 * kubectl's connection flags and the AWS ones, declared once as data and shared by every command
 * that talks to a cluster or to EC2. kubectl passes every argument after `kubectl winprefix`
 * through unchanged, so the plugin must parse these itself (krew best practices).
 */
import { delimiter } from 'node:path';
import type { Argv, Options } from 'yargs';
import type { KubeConnectionOptions } from '../pkg/adapters/kube/client.ts';
import { CliError } from './io.ts';

export const KUBE_FLAGS = {
  kubeconfig: {
    type: 'string',
    group: 'Kubernetes connection:',
    describe: `Path to the kubeconfig file; repeat it or join paths with "${delimiter}" to merge several like KUBECONFIG`,
  },
  context: { type: 'string', group: 'Kubernetes connection:', describe: 'The kubeconfig context to use' },
  cluster: { type: 'string', group: 'Kubernetes connection:', describe: 'The kubeconfig cluster to use' },
  user: { type: 'string', group: 'Kubernetes connection:', describe: 'The kubeconfig user to use' },
  namespace: {
    alias: 'n',
    type: 'string',
    group: 'Kubernetes connection:',
    describe: 'Accepted for kubectl compatibility; nodes are cluster-scoped, so every pod on the node is read',
  },
  'request-timeout': {
    type: 'string',
    default: '0',
    group: 'Kubernetes connection:',
    describe: 'Time to wait for each server request (1s, 2m, 3h); 0 waits as long as it takes',
  },
} as const satisfies Record<string, Options>;

export const AWS_FLAGS = {
  region: { type: 'string', group: 'AWS:', describe: "AWS region; default: the node's, from spec.providerID or its zone label" },
  profile: { type: 'string', group: 'AWS:', describe: 'AWS shared-config profile; default: AWS_PROFILE, else "default"' },
  'ec2-endpoint': { type: 'string', group: 'AWS:', describe: 'EC2 endpoint URL; default: AWS_ENDPOINT_URL_EC2, else the regional endpoint' },
} as const satisfies Record<string, Options>;

export function withConnectionFlags<T>(y: Argv<T>): Argv<T> {
  return y.options(KUBE_FLAGS).options(AWS_FLAGS) as unknown as Argv<T>;
}

export interface AwsConnection {
  region: string | undefined;
  profile: string | undefined;
  endpoint: string | undefined;
}

/** yargs gives a string for one flag and an array for a repeated one. */
function strings(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function lastString(value: unknown, flag: string): string | undefined {
  const all = strings(value);
  if (all.some((v) => v === '')) throw new CliError(`--${flag} needs a value`);
  return all.at(-1);
}

/** kubectl's --request-timeout: "0" (none), a bare number of seconds, or a number with ms, s, m or h. */
export function parseRequestTimeout(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new CliError(`--request-timeout "${text}" is not a duration: use 0, 30, 30s, 2m or 1h`);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  const ms = Math.round(Number(m[1]) * unitMs);
  return ms === 0 ? undefined : ms;
}

export function kubeConnectionFrom(argv: Record<string, unknown>): KubeConnectionOptions {
  const kubeconfig = strings(argv.kubeconfig).flatMap((v) => v.split(delimiter)).filter((p) => p !== '');
  const timeout = parseRequestTimeout(lastString(argv['request-timeout'], 'request-timeout') ?? '0');
  const out: KubeConnectionOptions = {};
  if (kubeconfig.length > 0) out.kubeconfig = kubeconfig;
  for (const key of ['context', 'cluster', 'user', 'namespace'] as const) {
    const value = lastString(argv[key], key);
    if (value !== undefined) out[key] = value;
  }
  if (timeout !== undefined) out.requestTimeoutMs = timeout;
  return out;
}

export function awsConnectionFrom(argv: Record<string, unknown>): AwsConnection {
  return {
    region: lastString(argv.region, 'region'),
    profile: lastString(argv.profile, 'profile'),
    endpoint: lastString(argv['ec2-endpoint'], 'ec2-endpoint'),
  };
}
