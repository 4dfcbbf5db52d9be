/**
 * Bad start-up input to the shipped bundle: one JSON error line on stderr that names the flag or file and
 * says what to use, nothing on stdout, exit 2, and no attempt to reach Kubernetes or EC2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BUNDLE, requireBundle } from './support.ts';

const cases: Array<{ args: string[]; says: RegExp }> = [
  { args: ['run', '--ec2-qps', 'abc'], says: /--ec2-qps "abc": use a number of at least/ },
  { args: ['run', '--webhook-port=99999'], says: /--webhook-port "99999": use a whole number from 1 to 65535/ },
  { args: ['run', '--kube-burst', '2.5'], says: /--kube-burst "2\.5": use a whole number/ },
  { args: ['run', '--concurrency', '0'], says: /--concurrency "0"/ },
  { args: ['run', '--warm-write-connections', '33'], says: /--warm-write-connections "33": use a whole number from 0 to 32/ },
  { args: ['run', '--configmap', 'a/b/c'], says: /--configmap "a\/b\/c": use NAMESPACE\/NAME/ },
  { args: ['run', '--log-level', 'loud'], says: /log-level.*"loud"/ },
  { args: ['run', '--kubeconfig', '/nonexistent/kubeconfig'], says: /kubeconfig file \/nonexistent\/kubeconfig \(from --kubeconfig\) does not exist/ },
  { args: ['bogus'], says: /Unknown argument: bogus/ },
  { args: ['run', '--metrics-bind-address', '8080'], says: /--metrics-bind-address "8080": not an address with a port; use HOST:PORT/ },
  { args: ['run', '--health-probe-bind-address=127.0.0.1:0'], says: /--health-probe-bind-address "127\.0\.0\.1:0": port 0 is not from 1 to 65535/ },
  { args: ['run', '--metrics-cert-dir='], says: /--metrics-cert-dir "": name the folder/ },
  // Renamed flags stop the start with the new spelling instead of being ignored.
  { args: ['run', '--metrics-port', '8080'], says: /--metrics-port was replaced: use --metrics-bind-address HOST:PORT/ },
  { args: ['run', '--health-port=8081'], says: /--health-port was replaced: use --health-probe-bind-address HOST:PORT/ },
  { args: ['run', '--probe-host', '0.0.0.0'], says: /--probe-host was replaced: use the host part of --metrics-bind-address and --health-probe-bind-address/ },
  // Not a number would otherwise render `replicas: .nan` into the install manifest.
  { args: ['manifests', '--replicas', 'abc'], says: /--replicas "abc": use a whole number of at least 0/ },
  { args: ['manifests', '--replicas', '1.5'], says: /--replicas "1\.5": use a whole number/ },
  { args: ['manifests', '--admission', 'sometimes'], says: /--admission "sometimes": use auto, policy, webhook/ },
  { args: ['manifests', '--kubernetes-version', 'latest'], says: /Kubernetes version "latest": use MAJOR\.MINOR/ },
  { args: ['manifests', '--admission', 'policy', '--kubernetes-version', '1.33'], says: /--admission policy needs Kubernetes >= 1\.36/ },
  // Named explicitly, a kubeconfig that cannot be read is an error, not an unknown version.
  { args: ['manifests', '--kubeconfig', '/nonexistent/kubeconfig'], says: /cannot read the API server's version with --kubeconfig \/nonexistent\/kubeconfig: .*pass --kubernetes-version/ },
  { args: ['manifests', '--role-arn', 'winprefix-controller'], says: /--role-arn "winprefix-controller" is not an IAM role ARN: give the role's ARN/ },
];

for (const c of cases) {
  test(`controller ${c.args.join(' ')}: one error line, exit 2`, () => {
    requireBundle();
    const r = spawnSync(process.execPath, [BUNDLE, ...c.args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' } });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    const errors = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; error?: string }).filter((l) => l.level === 'error');
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!.error ?? '', c.says);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}
