/**
 * @module
 * The kubectl plugin in the sandbox: a `kubectl-winprefix` shim on a PATH folder (so `kubectl winprefix ...`
 * works) pointed at the sandbox's EC2 simulator, and one run of `describe node` to show the user its output.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `<dir>/bin/kubectl-winprefix` running `node <pluginBundle>`; returns the bin folder. */
export async function writePluginShim(o: { dir: string; pluginBundle: string; ec2Endpoint: string; region: string }): Promise<string> {
  const binDir = join(o.dir, 'bin');
  await mkdir(binDir, { recursive: true });
  const shim = join(binDir, 'kubectl-winprefix');
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  await writeFile(
    shim,
    [
      '#!/bin/sh',
      '# Written by `npm start`: the winprefix plugin, pointed at the sandbox EC2 simulator.',
      `export AWS_ENDPOINT_URL_EC2=${q(o.ec2Endpoint)} AWS_REGION=${q(o.region)} AWS_EC2_METADATA_DISABLED=true`,
      'export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-AKIASANDBOXEXAMPLE}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-sandbox}"',
      `exec ${q(process.execPath)} ${q(o.pluginBundle)} "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(shim, 0o755);
  return binDir;
}

/**
 * Runs `kubectl-winprefix describe node NODE` through the shim and returns what to print; a failure is part
 * of the text, not thrown. Asynchronous on purpose: the EC2 simulator it queries lives in this process.
 */
export async function describeNodeText(o: { binDir: string; kubeconfigPath: string; node: string }): Promise<string> {
  const r = await new Promise<{ code: number | string; stdout: string; stderr: string }>((ok) => {
    execFile(
      join(o.binDir, 'kubectl-winprefix'),
      ['describe', 'node', o.node],
      { env: { ...process.env, KUBECONFIG: o.kubeconfigPath, NO_COLOR: '1' }, encoding: 'utf8', timeout: 30_000 },
      (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number | string }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  const lines = [`$ kubectl winprefix describe node ${o.node}`];
  if (r.stdout.trim()) lines.push(r.stdout.trimEnd());
  // Exit 1 means "findings" for checking commands; anything else is worth the stderr tail.
  if (r.code !== 0) lines.push(`(exit ${r.code}) ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  return lines.join('\n');
}
