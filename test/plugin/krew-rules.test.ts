import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { hasLicenseFile, validateKrewManifest } from './krew-rules.ts';

describe('krew manifest rules', () => {
  it('the committed krew.yaml passes them', async () => {
    const doc = load(await readFile(new URL('../../krew.yaml', import.meta.url), 'utf8'));
    assert.deepEqual(validateKrewManifest(doc, 'winprefix.yaml'), []);
  });

  it('the krew rules catch what krew rejects', () => {
    const bad = {
      apiVersion: 'krew.googlecontainertools.github.com/v1alpha1',
      kind: 'Plugin',
      metadata: { name: 'winprefix' },
      spec: {
        version: '0.1',
        shortDescription: 'A kubectl plugin that explains Windows pod IPAM on AWS EKS clusters',
        description: 'x',
        platforms: [
          { selector: { matchLabels: { os: 'linux', arch: 'amd64' } }, uri: 'https://x/a.tar.gz', sha256: 'ABC', bin: 'kubectl-winprefix' },
          { selector: { matchLabels: { os: 'linux', distro: 'debian' } }, uri: 'https://x/b.exe', sha256: 'a'.repeat(64), bin: '' },
          { selector: { matchExpressions: [{ key: 'os', operator: 'In', values: ['linux', 'darwin'] }] }, uri: 'https://x/c.zip', sha256: 'b'.repeat(64), bin: 'kubectl-winprefix' },
        ],
      },
    };
    const errors = validateKrewManifest(bad, 'krew.yaml');
    for (const expected of [/apiVersion/, /filed as winprefix\.yaml/, /<= 50/, /kubectl plugin/, /semver/, /sha256/, /may use only os and arch/, /\.tar\.gz or \.zip/, /bin is required/, /linux\/amd64 is matched by 2/]) {
      assert.ok(errors.some((e) => expected.test(e)), `${expected} in ${errors.join('; ')}`);
    }
  });


  it('recognises license files as krew does', () => {
    assert.ok(hasLicenseFile(['kubectl-winprefix', 'LICENSE']));
    assert.ok(hasLicenseFile(['docs/COPYING']));
    assert.ok(hasLicenseFile(['licence.txt']));
    assert.equal(hasLicenseFile(['kubectl-winprefix', 'README.md']), false);
  });
});
