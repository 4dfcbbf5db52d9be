import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { main } from '../main.ts';
import type { CliIO } from '../io.ts';
import { validateSimulation, type SimulationDocument } from './schema.ts';

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: {},
    stdoutIsTTY: false,
    now: () => new Date(0),
  };
  const code = await main(argv, io, 'kubectl winprefix');
  return { code, stdout, stderr };
}

async function json(...argv: string[]): Promise<SimulationDocument> {
  const r = await run(...argv, '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  const doc: unknown = JSON.parse(r.stdout);
  assert.deepEqual(validateSimulation(doc), [], 'the output conforms to the simulate schema');
  return doc as SimulationDocument;
}

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winprefix-simulate-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('simulate: output', () => {
  test('table: effective config above kubectl-like columns, one row per pod count', async () => {
    const r = await run('simulate', '--instance-type', 'c5.large', '--pods', '0,15,16');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^Instance type:\s+c5\.large \(9 slots/);
    assert.match(r.stdout, /Mode:\s+prefix/);
    assert.match(r.stdout, /warm-ip-target=1 minimum-ip-target=3/);
    const header = lines.findIndex((l) => l.startsWith('PODS'));
    assert.match(lines[header]!, /^PODS\s+PREFIXES\s+PODS PER PREFIX\s+UNUSED PREFIXES\s+TOTAL IPS\s+UNUSED IPS$/);
    assert.deepEqual(lines.slice(header + 1).map((l) => l.split(/\s+/)), [
      ['0', '1', '0', '1', '16', '16'],
      ['15', '1', '15', '0', '16', '1'],
      ['16', '2', '16,0', '1', '32', '16'],
    ]);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour when piped');
  });

  test('json: the documented schema, worked example E (W=7, M=20)', async () => {
    const doc = await json('simulate', '--instance-type', 'c5.large', '--warm-ip-target', '7', '--minimum-ip-target', '20', '--pods', '0,5,17,26');
    assert.deepEqual(Object.keys(doc), ['instanceType', 'effectiveConfig', 'problems', 'results']);
    assert.deepEqual(doc.effectiveConfig, {
      mode: 'prefix',
      modeReason: doc.effectiveConfig.modeReason,
      sizing: 'ip-targets',
      warmIPTarget: 7,
      minimumIPTarget: 20,
      warmPrefixTarget: 0,
      capacity: 144,
      slots: 9,
      sources: { warmIPTarget: '--warm-ip-target', minimumIPTarget: '--minimum-ip-target' },
    });
    assert.deepEqual(doc.problems, []);
    assert.deepEqual(
      doc.results.map((r) => [r.pods, r.attachedPrefixes, r.unusedPrefixes, r.totalIPs, r.unusedIPs, r.secondaryIPs, r.podsPerPrefix]),
      [
        [0, 2, 2, 32, 32, 0, [0, 0]],
        [5, 2, 1, 32, 27, 0, [5, 0]],
        [17, 2, 0, 32, 15, 0, [16, 1]],
        [26, 3, 1, 48, 22, 0, [16, 10, 0]],
      ],
    );
    for (const r of doc.results) for (const v of Object.values(r).flat()) assert.ok(Number.isInteger(v));
  });

  test('yaml carries the same document as json', async () => {
    const args = ['simulate', '--instance-type', 'm5.large', '--pods', '0..3'];
    const y = await run(...args, '-o', 'yaml');
    assert.equal(y.code, 0, y.stderr);
    assert.deepEqual(load(y.stdout), await json(...args));
  });

  test('secondary mode: secondary IPs and warm IPs (worked example A)', async () => {
    const r = await run('simulate', '--instance-type', 'm5.large', '--mode', 'secondary', '--pods', '0,1,6,7,9');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    const header = lines.findIndex((l) => l.startsWith('PODS'));
    assert.match(lines[header]!, /^PODS\s+SECONDARY IPS\s+WARM IPS$/);
    assert.deepEqual(lines.slice(header + 1).map((l) => l.split(/\s+/)), [
      ['0', '3', '3'],
      ['1', '4', '3'],
      ['6', '9', '3'],
      ['7', '9', '2'],
      ['9', '9', '0'],
    ]);
  });

  test('ranges and lists mix; duplicates are dropped', async () => {
    const doc = await json('simulate', '--instance-type', 'm5.large', '--pods', '0..2,2,10');
    assert.deepEqual(doc.results.map((r) => r.pods), [0, 1, 2, 10]);
  });
});

describe('simulate: --config', () => {
  test('a ConfigMap manifest in YAML is resolved as the controller would, problems listed above the table', async () => {
    const path = file('cm.yaml', [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: amazon-vpc-cni, namespace: kube-system}',
      'data:',
      '  enable-windows-ipam: "true"',
      '  enable-windows-prefix-delegation: "true"',
      '  warm-prefix-target: "1"',
      '  windows-warm-ip-target: "lots"',
      '',
    ].join('\n'));
    const r = await run('simulate', '--instance-type', 'c5.large', '--config', path, '--pods', '0,5,17');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Problems:\n {2}windows-warm-ip-target="lots": "lots" is not a whole number; ignored/);
    assert.match(r.stdout, /warm-prefix-target=1 \(sized by the warm prefix target\)/);
    assert.match(r.stdout, /Read from:\s+warm-prefix-target \(deprecated key\)\n/);
    const doc = await json('simulate', '--instance-type', 'c5.large', '--config', path, '--pods', '0,5,17');
    assert.deepEqual(doc.results.map((x) => [x.attachedPrefixes, x.unusedIPs]), [[1, 16], [2, 27], [3, 31]], 'worked example D');
    assert.equal(doc.problems.length, 1);
  });

  test('a ConfigMap with Windows IPAM off is simulated anyway, with a note on stderr', async () => {
    const path = file('off.yaml', 'kind: ConfigMap\ndata:\n  enable-windows-prefix-delegation: "true"\n');
    const r = await run('simulate', '--instance-type', 'm5.large', '--config', path, '--pods', '0', '-o', 'json');
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^note: enable-windows-ipam is not "true" in .*off\.yaml/);
    assert.equal((JSON.parse(r.stdout) as SimulationDocument).effectiveConfig.mode, 'prefix');
  });

  test('a JSON manifest works; flags override it; --mode defaults to what it says', async () => {
    const path = file('cm.json', JSON.stringify({ kind: 'ConfigMap', data: { 'enable-windows-ipam': 'true', 'windows-minimum-ip-target': '6', 'windows-warm-ip-target': 'x' } }));
    const doc = await json('simulate', '--instance-type', 'm5.large', '--config', path, '--pods', '0');
    assert.equal(doc.effectiveConfig.mode, 'secondary');
    assert.equal(doc.effectiveConfig.warmIPTarget, 3, 'invalid warm target: the default, no starvation');
    assert.equal(doc.problems.length, 1);
    const flagged = await json('simulate', '--instance-type', 'm5.large', '--config', path, '--warm-ip-target', '1', '--pods', '0');
    assert.equal(flagged.effectiveConfig.warmIPTarget, 1);
    assert.deepEqual(flagged.problems, [], 'the flag replaced the invalid value');
    assert.deepEqual(flagged.results[0]!.secondaryIPs, 6);
  });
});

describe('simulate: errors are one line on stderr, exit 2, nothing on stdout', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown instance type', ['--instance-type', 'c5.huge', '--pods', '1'], /unknown instance type "c5\.huge"/],
    ['pods over capacity', ['--instance-type', 'm5.large', '--pods', '0,145'], /pod count 145 is outside 0\.\.144/],
    ['pods over secondary capacity', ['--instance-type', 'm5.large', '--mode', 'secondary', '--pods', '10'], /outside 0\.\.9/],
    ['malformed pods', ['--instance-type', 'm5.large', '--pods', '1,x'], /--pods: "x" is not a pod count/],
    ['backwards range', ['--instance-type', 'm5.large', '--pods', '9..1'], /runs backwards/],
    ['bad target flag', ['--instance-type', 'm5.large', '--pods', '1', '--warm-ip-target', '-1'], /--warm-ip-target: "-1" is not a whole number/],
    ['bad mode', ['--instance-type', 'm5.large', '--pods', '1', '--mode', 'both'], /mode/],
    ['bad output', ['--instance-type', 'm5.large', '--pods', '1', '-o', 'wide'], /output|Choices/i],
    ['bad output, named before the simulation runs', ['--instance-type', 'm5.large', '--pods', '0,145', '-o', 'wide'], /-o\/--output: "wide" is not one of table, json, yaml/],
    ['unknown flag', ['--instance-type', 'm5.large', '--pods', '1', '--warm-ip', '3'], /^error: unknown flag: --warm-ip$/m],
    ['missing pods', ['--instance-type', 'm5.large'], /--pods is required/],
    ['prefix mode on a non-Nitro type', ['--instance-type', 'm4.large', '--mode', 'prefix', '--pods', '1'], /m4\.large is not a Nitro instance type/],
    ['repeated flag', ['--instance-type', 'm5.large', '--pods', '1', '--pods', '2'], /--pods is given more than once/],
    ['missing config file', ['--instance-type', 'm5.large', '--pods', '1', '--config', '/nonexistent/cm.yaml'], /cannot read it \(ENOENT\)/],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const r = await run('simulate', ...args);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      // One line saying what is wrong; usage errors add kubectl's pointer to the help.
      const [line, hint, ...rest] = r.stderr.trimEnd().split('\n');
      assert.match(line!, /^error: /);
      if (hint !== undefined) assert.equal(hint, "See 'kubectl winprefix simulate --help' for usage.");
      assert.deepEqual(rest, []);
    });
  }

  test('a config that is not a ConfigMap, or has non-string values', async () => {
    const deployment = file('deploy.yaml', 'kind: Deployment\n');
    const numbers = file('numbers.yaml', 'kind: ConfigMap\ndata:\n  warm-ip-target: 3\n');
    const broken = file('broken.yaml', 'kind: [\n');
    for (const [path, message] of [[deployment, /expected ConfigMap/], [numbers, /data\.warm-ip-target is 3.*quote it \("3"\)/], [broken, /not YAML or JSON/]] as const) {
      const r = await run('simulate', '--instance-type', 'm5.large', '--pods', '1', '--config', path);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
    }
  });
});
