/**
 * The simulator as a process (cmd/ec2-simulator.ts, the entry point bundled to dist/ec2-simulator.js):
 * it prints its endpoint on stdout, serves the SDK, stops cleanly on SIGTERM, and rejects bad input with exit 2.
 * Also under Deno (the simulator is product code and ships for both runtimes).
 */
import { sdkClient } from './fixtures.ts';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { scratchDir } from '../harness/cleanup.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'cmd/ec2-simulator.ts');
const DENO = join(ROOT, 'node_modules/.bin/deno');

function run(args: string[], runtime: 'node' | 'deno' = 'node') {
  const argv = runtime === 'node' ? [process.execPath, ENTRY] : [DENO, 'run', '--allow-env', '--allow-read', '--allow-net', '--allow-sys', ENTRY];
  const child = spawn(argv[0]!, [...argv.slice(1), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('ec2-simulator command', () => {
  for (const runtime of ['node', 'deno'] as const) {
    test(`serves the sandbox world and stops on SIGTERM (${runtime})`, async () => {
      if (runtime === 'deno') assert.ok(existsSync(DENO), `${DENO} is missing (devDependency deno)`);
      const p = run(['--world', 'examples/worlds/sandbox.yaml', '--listen', '127.0.0.1:0'], runtime);
      try {
        const deadline = Date.now() + 20_000;
        while (!p.out().includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        const endpoint = p.out().trim();
        assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/, `stdout: ${p.out()} stderr: ${p.err()}`);
        const ec2 = sdkClient(endpoint);
        const out = await ec2.send(new DescribeInstancesCommand({}));
        const types = out.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceType).sort();
        assert.deepEqual(types, ['c5.xlarge', 'm4.large', 'm5.large', 't3.medium']);
        ec2.destroy();
      } finally {
        p.child.kill('SIGTERM');
      }
      const [code] = await p.exited;
      assert.equal(code, 0);
      assert.match(p.err(), /serving 4 instances/);
    });
  }

  test('a bad world file exits 2 and names the field', async () => {
    const dir = scratchDir('winprefix-sim-');
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'vpcs: [{ id: vpc-00000001, cidr: 10.0.0.0/16 }]\nsubnets: []\ninstances:\n  - { id: i-00000001, type: m5.large, subnetId: subnet-00000001, privateIp: 10.0.1.300 }\n');
    const p = run(['--world', file]);
    const [code] = await p.exited;
    assert.equal(code, 2);
    assert.match(p.err(), /instances\[0\]\.privateIp: "10\.0\.1\.300"/);
  });

  test('missing --world and a bad --listen exit 2 with usage', async () => {
    const a = run([]);
    assert.equal((await a.exited)[0], 2);
    assert.match(a.err(), /--world is required/);
    const b = run(['--world', 'examples/worlds/sandbox.yaml', '--listen', 'localhost']);
    assert.equal((await b.exited)[0], 2);
    assert.match(b.err(), /--listen "localhost" is not HOST:PORT/);
  });
});
