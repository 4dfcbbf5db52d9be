/**
 * The fast kubeconfig reader gives exactly what js-yaml gives, or declines (undefined) so js-yaml reads
 * the file: checked on kubeconfigs as kubectl, aws eks update-kubeconfig, kind and minikube write them,
 * and on YAML it must decline.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { parseKubeconfigYaml } from './kubeconfig-yaml.ts';

const EKS = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKY201bGRHVnpNQjRYRFRJeE1EUXlNVEU1TXpZeE5sb1hEVE14TURReE9URTVNell4Tmxvd0ZURVRNQkVHQTFVRQo=
    server: https://0123456789ABCDEF0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com
  name: arn:aws:eks:us-west-2:123456789012:cluster/prod
contexts:
- context:
    cluster: arn:aws:eks:us-west-2:123456789012:cluster/prod
    namespace: kube-system
    user: arn:aws:eks:us-west-2:123456789012:cluster/prod
  name: arn:aws:eks:us-west-2:123456789012:cluster/prod
current-context: arn:aws:eks:us-west-2:123456789012:cluster/prod
kind: Config
preferences: {}
users:
- name: arn:aws:eks:us-west-2:123456789012:cluster/prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - us-west-2
      - eks
      - get-token
      - --cluster-name
      - prod
      - --output
      - json
      command: aws
      env:
      - name: AWS_PROFILE
        value: prod
      interactiveMode: IfAvailable
      provideClusterInfo: false
`;

const HARNESS = `apiVersion: v1
kind: Config
clusters:
  - name: winprefix-test
    cluster:
      server: https://127.0.0.1:32777
      certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
users:
  - name: admin
    user:
      client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
      client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t
contexts:
  - name: winprefix-test
    context: {cluster: winprefix-test, user: admin}
current-context: winprefix-test
`;

const MINIKUBE = `---
# written by minikube
apiVersion: v1
clusters:
- cluster:
    certificate-authority: /home/ops/.minikube/ca.crt
    extensions:
    - extension:
        last-update: Thu, 05 Dec 2024 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.34.0
      name: cluster_info
    server: https://192.168.49.2:8443   # the VM
  name: minikube
contexts:
- context:
    cluster: minikube
    namespace: "default"
    user: 'minikube'
  name: minikube
current-context: minikube
kind: Config
preferences: {}
users:
- name: minikube
  user:
    client-certificate: /home/ops/.minikube/profiles/minikube/client.crt
    client-key: "/home/ops/.minikube/profiles/minikube/client.key"
- name: "it's \\"quoted\\" \\u00e9"
  user:
    token: 'it''s'
    insecure: true
    nothing: ~
    also-nothing:
`;

const KIND = `apiVersion: v1
clusters:
- cluster:
    insecure-skip-tls-verify: true
    server: https://127.0.0.1:40153
    tls-server-name: kubernetes
    proxy-url: http://proxy.corp:3128
  name: kind-kind
contexts: []
current-context: ""
kind: Config
users: null
`;

describe('kubeconfig YAML: the fast reader agrees with js-yaml', () => {
  for (const [name, text] of Object.entries({ EKS, HARNESS, MINIKUBE, KIND })) {
    it(`${name}: read without js-yaml, same document`, () => {
      const fast = parseKubeconfigYaml(text);
      // The harness file uses a flow mapping with content, which the fast reader leaves to js-yaml.
      if (name === 'HARNESS') assert.equal(fast, undefined);
      else assert.notEqual(fast, undefined, 'within the subset');
      if (fast !== undefined) assert.deepEqual(fast, load(text));
    });
  }

  const declined: Record<string, string> = {
    'a block scalar': 'users:\n- name: u\n  user:\n    token: |\n      abc\n',
    'a number': 'clusters:\n- cluster:\n    port: 6443\n',
    'a date': 'x: 2024-01-01\n',
    'an anchor': 'a: &x y\nb: *x\n',
    'a tag': 'a: !!str 1\n',
    'a multi-line plain scalar': 'a: one\n  two\n',
    'a duplicate key': 'a: 1x\na: 2x\n',
    'a merge key': 'a: {}\n<<: x\n',
    'a flow sequence with content': 'args: [a, b]\n',
    'a second document': 'a: b\n---\nc: d\n',
    'tabs': 'a:\n\tb: c\n',
    'an empty file': '# nothing\n',
  };
  for (const [what, text] of Object.entries(declined)) {
    it(`declines ${what}`, () => {
      assert.equal(parseKubeconfigYaml(text), undefined);
    });
  }
});

describe('kubeconfig YAML: what js-yaml itself writes', () => {
  it('the test harness kubeconfig (certificates embedded) is read without js-yaml, identically', async () => {
    const { renderKubeconfig } = await import('../../test/harness/kubeconfig.ts');
    const pem = `-----BEGIN CERTIFICATE-----\n${'MIIB'.repeat(200)}\n-----END CERTIFICATE-----\n`;
    const text = renderKubeconfig({ server: 'https://127.0.0.1:6443', caPem: pem, userName: 'system:serviceaccount:winprefix-system:winprefix-controller', certPem: pem, keyPem: pem });
    const fast = parseKubeconfigYaml(text);
    assert.notEqual(fast, undefined);
    assert.deepEqual(fast, load(text));
  });
});
