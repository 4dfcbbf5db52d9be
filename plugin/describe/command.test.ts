import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yargs from 'yargs';
import { CliError } from '../io.ts';
import { parseRequestTimeout, withConnectionFlags } from '../connection-flags.ts';
import { parseDescribeNodeArgs, type DescribeNodeOp } from './command.ts';

/** argv -> the operation value, through the same yargs options the command declares. */
function parse(argv: string[]): DescribeNodeOp {
  const parsed = withConnectionFlags(yargs(argv).option('output', { alias: 'o', type: 'string', default: 'table' }).option('configmap', { type: 'string' }).option('color', { type: 'string' }))
    .exitProcess(false)
    .parseSync();
  return parseDescribeNodeArgs({ ...parsed, name: parsed._[0] });
}

describe('describe node: argv to operation', () => {
  const cases: Array<[string[], Partial<DescribeNodeOp>]> = [
    [['n1'], { nodeName: 'n1', output: 'table', kube: {}, configMap: { namespace: 'kube-system', name: 'amazon-vpc-cni' } }],
    [['n1', '-o', 'wide'], { output: 'wide', color: 'auto' }],
    [['n1', '--color', 'never'], { color: 'never' }],
    [['n1', '--kubeconfig', '/a:/b'], { kube: { kubeconfig: ['/a', '/b'] } }],
    [['n1', '--kubeconfig', '/a', '--kubeconfig', '/b:/c'], { kube: { kubeconfig: ['/a', '/b', '/c'] } }],
    [['n1', '--context', 'prod', '--cluster', 'c', '--user', 'u', '-n', 'ns'], { kube: { context: 'prod', cluster: 'c', user: 'u', namespace: 'ns' } }],
    [['n1', '--request-timeout', '2m'], { kube: { requestTimeoutMs: 120_000 } }],
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
    assert.throws(() => parse(['n1', '-o', 'xml']), (e: unknown) => e instanceof CliError && /-o xml is not supported: use table, wide, json, yaml/.test(e.message));
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
    assert.equal(stderr, 'error: name the node: kubectl winprefix describe node NAME\n');
  });
});

describe('usage errors through main()', () => {
  it('are one line, even when yargs words them over several', async () => {
    const { main } = await import('../main.ts');
    let stderr = '';
    const code = await main(['describe', 'node', 'n1', '-o', 'xml'], { stdout: () => {}, stderr: (t) => (stderr += t), env: {}, stdoutIsTTY: false, now: () => new Date() });
    assert.equal(code, 2);
    assert.equal(stderr, 'error: Invalid values: Argument: output, Given: "xml", Choices: "table", "wide", "json", "yaml"\n');
  });
});
