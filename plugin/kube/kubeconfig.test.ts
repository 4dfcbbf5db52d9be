import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CliError } from '../io.ts';
import { resolveKubeTarget } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'winprefix-kc-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const first = file(
  'a/config',
  `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster:
    server: https://dev.example:6443/
    certificate-authority: ca.crt
- name: shared
  cluster: {server: "https://first.example"}
users:
- name: dev
  user:
    token: dev-token
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
      env: [{name: AWS_PROFILE, value: prod}]
      interactiveMode: Never
- name: oidc
  user:
    auth-provider: {name: oidc, config: {id-token: the-id-token}}
- name: gcp
  user:
    auth-provider: {name: gcp}
contexts:
- name: dev
  context: {cluster: dev, user: dev, namespace: team-a}
- name: prod
  context: {cluster: shared, user: eks}
`,
);
file('a/ca.crt', 'CA PEM');
const second = file(
  'b/config',
  `apiVersion: v1
kind: Config
current-context: other
clusters:
- name: shared
  cluster:
    server: https://second.example
contexts:
- name: other
  context:
    cluster: shared
    user: dev
`,
);

describe('kubeconfig as kubectl reads it', () => {
  it('merges files (the first wins per name and for current-context), reads paths relative to their file', async () => {
    const t = await resolveKubeTarget({ kubeconfig: [first, second] }, {});
    assert.equal(t.server, 'https://dev.example:6443');
    assert.equal(t.ca?.toString(), 'CA PEM');
    assert.deepEqual(t.credentials, { kind: 'token', token: 'dev-token' });
    assert.equal(t.namespace, 'team-a');
    const other = await resolveKubeTarget({ kubeconfig: [second, first], context: 'other' }, {});
    assert.equal(other.server, 'https://second.example', 'the first file defining "shared" wins');
  });

  it('KUBECONFIG skips missing files; --context, --cluster, --user, --namespace override', async () => {
    const t = await resolveKubeTarget({ context: 'prod', namespace: 'x' }, { KUBECONFIG: `/nonexistent:${first}` });
    assert.equal(t.server, 'https://first.example');
    assert.equal(t.namespace, 'x');
    assert.equal(t.credentials.kind, 'exec');
    assert.deepEqual(t.credentials.kind === 'exec' && { command: t.credentials.exec.command, args: t.credentials.exec.args, env: t.credentials.exec.env, mode: t.credentials.exec.interactiveMode }, {
      command: 'aws',
      args: ['eks', 'get-token', '--cluster-name', 'prod'],
      env: [{ name: 'AWS_PROFILE', value: 'prod' }],
      mode: 'Never',
    });
    const oidc = await resolveKubeTarget({ kubeconfig: [first], user: 'oidc' }, {});
    assert.deepEqual(oidc.credentials, { kind: 'token', token: 'the-id-token' });
  });

  it('errors name the file, context, cluster or user that is missing, and what to do', async () => {
    const rejects = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: unknown) => e instanceof CliError && re.test(e.message));
    await rejects(resolveKubeTarget({ kubeconfig: ['/nonexistent/config'] }, {}), /kubeconfig file \/nonexistent\/config \(from --kubeconfig\) does not exist/);
    await rejects(resolveKubeTarget({}, { KUBECONFIG: '/nope:/nada' }), /none of the files in KUBECONFIG exist/);
    await rejects(resolveKubeTarget({}, {}, join(dir, 'empty-home')), /no kubeconfig: .* does not exist, KUBECONFIG is not set and this is not a pod/);
    await rejects(resolveKubeTarget({ kubeconfig: [first], context: 'staging' }, {}), /context "staging" is not in .*; known contexts: dev, prod/);
    await rejects(resolveKubeTarget({ kubeconfig: [first], user: 'gcp' }, {}), /auth-provider "gcp", which kubectl-winprefix does not run/);
    await rejects(resolveKubeTarget({ kubeconfig: [file('bad.yaml', 'kind: [\n')] }, {}), /cannot be read/);
  });
});
