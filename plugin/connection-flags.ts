/**
 * @module
 * kubectl's connection flags and the AWS ones, declared once as data and shared by every command
 * that talks to a cluster or to EC2. kubectl passes every argument after `kubectl winprefix`
 * through unchanged, so the plugin must parse these itself (krew best practices).
 */
import { delimiter } from 'node:path';
import { allValues, lastValue, type FlagSpec, type ParsedCommand } from './cli.ts';
import { CliError } from './io.ts';
import type { KubeConnectionFlags } from './kube/kubeconfig.ts';

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
    describe: "Only this namespace's pods are listed; findings and occupancy still count every pod on the node",
  },
  'request-timeout': {
    type: 'string',
    default: '0',
    group: 'Kubernetes connection:',
    describe: 'Time to wait for each server request, Kubernetes and EC2 (1s, 2m, 3h); 0: Kubernetes waits as long as it takes, EC2 30s',
  },
} as const satisfies Record<string, FlagSpec>;

export const AWS_FLAGS = {
  region: { type: 'string', group: 'AWS:', describe: "AWS region; default: the node's (spec.providerID or its zone label), else AWS_REGION, AWS_DEFAULT_REGION, the profile's" },
  profile: { type: 'string', group: 'AWS:', describe: 'AWS shared-config profile; default: AWS_PROFILE, else the default credential chain' },
  'ec2-endpoint': { type: 'string', group: 'AWS:', describe: 'EC2 endpoint URL; default: AWS_ENDPOINT_URL_EC2, else the regional endpoint' },
} as const satisfies Record<string, FlagSpec>;

export const CONNECTION_FLAGS = { ...KUBE_FLAGS, ...AWS_FLAGS } as const;

/** Per EC2 attempt when --request-timeout is not given: bounded, unlike Kubernetes reads (kubectl waits forever). */
export const EC2_DEFAULT_TIMEOUT_MS = 30_000;

export interface AwsConnection {
  region: string | undefined;
  profile: string | undefined;
  endpoint: string | undefined;
}

/** kubectl's --request-timeout: "0" (none), a bare number of seconds, or a number with ms, s, m or h. */
export function parseRequestTimeout(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new CliError(`--request-timeout "${text}" is not a duration: use 0, 30, 30s, 2m or 1h`);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  const ms = Math.round(Number(m[1]) * unitMs);
  return ms === 0 ? undefined : ms;
}

/** What a command that talks to a cluster and EC2 needs to connect (plugin/session.ts connects). */
export interface ConnectionOp {
  kube: KubeConnectionFlags;
  /** --request-timeout in ms; undefined waits as long as it takes (kubectl's 0). */
  requestTimeoutMs: number | undefined;
  /** As typed, for messages ("--request-timeout 5s bounds the wait"). */
  requestTimeoutText: string;
  aws: AwsConnection;
}

export function connectionOf(values: ParsedCommand['values']): ConnectionOp {
  const kubeconfig = allValues(values, 'kubeconfig').flatMap((v) => v.split(delimiter)).filter((p) => p !== '');
  const timeoutText = lastValue(values, 'request-timeout') ?? '0';
  const kube: KubeConnectionFlags = {};
  if (kubeconfig.length > 0) kube.kubeconfig = kubeconfig;
  for (const key of ['context', 'cluster', 'user', 'namespace'] as const) {
    const value = lastValue(values, key);
    if (value !== undefined) kube[key] = value;
  }
  return {
    kube,
    requestTimeoutMs: parseRequestTimeout(timeoutText),
    requestTimeoutText: timeoutText,
    aws: { region: lastValue(values, 'region'), profile: lastValue(values, 'profile'), endpoint: lastValue(values, 'ec2-endpoint') },
  };
}
