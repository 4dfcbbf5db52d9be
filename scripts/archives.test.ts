import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { tarGz, zip, type ArchiveEntry } from './archives.ts';

const dir = mkdtempSync(join(tmpdir(), 'winprefix-archives-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const entries: ArchiveEntry[] = [
  { name: 'kubectl-winprefix', data: Buffer.from('#!/bin/sh\necho hello\n'), executable: true },
  { name: 'LICENSE', data: Buffer.alloc(70_000, 'Apache '), executable: false },
];

test('the bytes depend only on the entries, not on their order', () => {
  assert.ok(tarGz(entries).equals(tarGz([...entries].reverse())));
  assert.ok(zip(entries).equals(zip([...entries].reverse())));
});

test('gzip carries no file name and no time, and the tar no owner names or times', () => {
  const gz = tarGz(entries);
  assert.equal(gz.readUInt32LE(4), 0, 'gzip mtime');
  assert.equal(gz[3], 0, 'gzip flags: no name, no comment');
  const tar = gunzipSync(gz);
  assert.equal(tar.toString('latin1', 0, 7), 'LICENSE', 'sorted by name');
  assert.equal(tar.toString('latin1', 257, 262), 'ustar');
  assert.equal(tar.subarray(265, 329).every((b) => b === 0), true, 'no user or group name');
});

test('GNU tar reads the .tar.gz back: names, contents, modes 0644/0755, time 0', () => {
  const archive = join(dir, 'a.tar.gz');
  writeFileSync(archive, tarGz(entries));
  const listing = spawnSync('tar', ['-tvzf', archive, '--numeric-owner'], { encoding: 'utf8' });
  assert.equal(listing.status, 0, listing.stderr);
  assert.match(listing.stdout, /^-rw-r--r-- 0\/0 +70000 1970-01-01 00:00 LICENSE$/m);
  assert.match(listing.stdout, /^-rwxr-xr-x 0\/0 +21 1970-01-01 00:00 kubectl-winprefix$/m);
  const out = join(dir, 'tar');
  mkdirSync(out);
  assert.equal(spawnSync('tar', ['-xzf', archive, '-C', out]).status, 0);
  assert.ok(readFileSync(join(out, 'LICENSE')).equals(entries[1]!.data));
  assert.equal(statSync(join(out, 'kubectl-winprefix')).mode & 0o777, 0o755);
});

const unzip = spawnSync('unzip', ['-v']).status === 0;
test('unzip reads the .zip back: names, contents, the executable bit, 1980-01-01', { skip: unzip ? false : 'unzip is not installed' }, () => {
  const archive = join(dir, 'a.zip');
  writeFileSync(archive, zip(entries));
  const check = spawnSync('unzip', ['-tq', archive], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const listing = spawnSync('unzip', ['-Z', archive], { encoding: 'utf8' });
  assert.match(listing.stdout, /^-rwxr-xr-x .* 80-Jan-01 00:00 kubectl-winprefix$/m);
  assert.match(listing.stdout, /^-rw-r--r-- .* 80-Jan-01 00:00 LICENSE$/m);
  const out = join(dir, 'zip');
  assert.equal(spawnSync('unzip', ['-q', archive, '-d', out]).status, 0);
  assert.ok(readFileSync(join(out, 'LICENSE')).equals(entries[1]!.data));
  assert.equal(statSync(join(out, 'kubectl-winprefix')).mode & 0o777, 0o755);
});

test('names other than plain files at the root, and duplicates, are refused', () => {
  assert.throws(() => tarGz([{ name: '../x', data: Buffer.alloc(1), executable: false }]), /plain file names/);
  assert.throws(() => zip([entries[0]!, entries[0]!]), /given twice/);
});
