import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../cli.ts';
import { CliError } from '../io.ts';
import { parseRequestTimeout } from '../connection-flags.ts';
import { describeNodeCommand, parseDescribeNodeArgs, type DescribeNodeOp } from './command.ts';

/** argv -> the operation value, through the command line reader and the flags the command declares. */
function parse(argv: string[]): DescribeNodeOp {
  return parseDescribeNodeArgs(parseCommandLine(['describe', 'node', ...argv], 2, describeNodeCommand, 'kubectl winprefix'));
}

describe('describe node: argv to operation', () => {
  const cases: Array<[string[], Partial<DescribeNodeOp>]> = [
    [['n1'], { nodeName: 'n1', output: 'table', kube: {}, configMap: { namespace: 'kube-system', name: 'amazon-vpc-cni' } }],
    [['n1', '-o', 'wide'], { output: 'wide', color: 'auto' }],
    [['n1', '--color', 'never'], { color: 'never' }],
    [['n1', '--kubeconfig', '/a:/b'], { kube: { kubeconfig: ['/a', '/b'] } }],
    [['n1', '--kubeconfig', '/a', '--kubeconfig', '/b:/c'], { kube: { kubeconfig: ['/a', '/b', '/c'] } }],
    [['n1', '-ojson', '--kubeconfig=/k', '--context', 'a', '--context', 'b'], { output: 'json', kube: { kubeconfig: ['/k'], context: 'b' } }],
    [['n1', '--context', 'prod', '--cluster', 'c', '--user', 'u', '-n', 'ns'], { kube: { context: 'prod', cluster: 'c', user: 'u', namespace: 'ns' } }],
    [['n1', '--request-timeout', '2m'], { requestTimeoutMs: 120_000, requestTimeoutText: '2m' }],
    [['n1', '--region', 'eu-west-1', '--profile', 'ro', '--ec2-endpoint', 'http://127.0.0.1:4566'], { aws: { region: 'eu-west-1', profile: 'ro', endpoint: 'http://127.0.0.1:4566' } }],
    [['n1', '--configmap', 'winprefix-system/ipam'], { configMap: { namespace: 'winprefix-system', name: 'ipam' } }],
  ];
  for (const [argv, expected] of cases) {
    it(argv.join(' '), () => {
      const op = parse(argv);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(op[key as keyof DescribeNodeOp], value, key);
    });
  }

  it('rejects bad values with a message that says what to pass', () => {
    assert.throws(() => parse(['n1', '-o', 'xml']), (e: unknown) => e instanceof CliError && /invalid value "xml" for --output\/-o: use one of table, wide, json, yaml/.test(e.message));
    assert.throws(() => parse(['n1', '--configmap', 'just-a-name']), (e: unknown) => e instanceof CliError && /NAMESPACE\/NAME/.test(e.message));
    assert.throws(() => parse(['n1', '--request-timeout', 'soon']), (e: unknown) => e instanceof CliError && /not a duration/.test(e.message));
  });
});

describe('--request-timeout like kubectl', () => {
  it('reads 0 as no timeout, bare numbers as seconds, and units', () => {
    assert.equal(parseRequestTimeout('0'), undefined);
    assert.equal(parseRequestTimeout('30'), 30_000);
    assert.equal(parseRequestTimeout('500ms'), 500);
    assert.equal(parseRequestTimeout('1.5s'), 1500);
    assert.equal(parseRequestTimeout('1h'), 3_600_000);
  });
});

describe('describe node: through main()', () => {
  it('a missing node name gets a message that says what to type', async () => {
    const { main } = await import('../main.ts');
    let stderr = '';
    const code = await main(['describe', 'node'], { stdout: () => {}, stderr: (t) => (stderr += t), env: {}, stdoutIsTTY: false, now: () => new Date() });
    assert.equal(code, 2);
    assert.equal(stderr, "error: name the node: kubectl winprefix describe node NAME\nSee 'kubectl winprefix describe node --help' for usage.\n");
  });
});

describe('usage errors through main(), worded as kubectl words them', () => {
  const run = async (argv: string[]) => {
    const { main } = await import('../main.ts');
    let stderr = '';
    let stdout = '';
    const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, stdoutIsTTY: false, now: () => new Date() });
    return { code, stderr, stdout };
  };
  const cases: Array<[string[], string]> = [
    [['describe', 'node', 'n1', '--bogus'], "error: unknown flag: --bogus\nSee 'kubectl winprefix describe node --help' for usage.\n"],
    [['describe', 'node', 'n1', '--bogus=1'], "error: unknown flag: --bogus\nSee 'kubectl winprefix describe node --help' for usage.\n"],
    [['describe', 'no', 'n1', '-x'], "error: unknown flag: -x\nSee 'kubectl winprefix describe node --help' for usage.\n"],
    [['describe', 'node', 'n1', '-o', 'xml'], "error: invalid value \"xml\" for --output/-o: use one of table, wide, json, yaml\nSee 'kubectl winprefix describe node --help' for usage.\n"],
    [['describe', 'node', 'n1', '-o'], "error: flag needs an argument: --output (use --output=VALUE when the value starts with \"-\")\nSee 'kubectl winprefix describe node --help' for usage.\n"],
    [['describe', 'node', 'n1', 'n2'], "error: unexpected argument \"n2\" for \"kubectl winprefix describe node\"\nSee 'kubectl winprefix describe node --help' for usage.\n"],
    [['describe', 'pods'], "error: \"pods\" is not something describe knows; name what to describe: kubectl winprefix describe node NAME\nSee 'kubectl winprefix describe --help' for usage.\n"],
    [['frobnicate'], "error: unknown command \"frobnicate\" for \"kubectl winprefix\"\nRun 'kubectl winprefix --help' for usage.\n"],
  ];
  for (const [argv, stderr] of cases) {
    it(argv.join(' '), async () => {
      const r = await run(argv);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, stderr);
      assert.equal(r.stdout, '');
    });
  }

  it('--help is rendered from the same declarations, without running anything', async () => {
    const r = await run(['describe', 'node', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^kubectl winprefix describe node \[name\]/m);
    assert.match(r.stdout, /--request-timeout/);
    assert.match(r.stdout, /-o, --output/);
    const top = await run([]);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /describe +Explain the Windows IPAM state of a node/);
    assert.match(top.stdout, /simulate/);
  });
});
