import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCheckArgs, checkCommand } from '../check/command.ts';
import { parseCommandLine, type CommandSpec } from '../cli.ts';
import { getNodesCommand, parseGetNodesArgs } from '../get-nodes/command.ts';
import { CliError } from '../io.ts';
import { main } from '../main.ts';
import { migrateCommand, parseMigrateArgs } from '../migrate/command.ts';
import { parseSubnetsArgs, subnetsCommand } from '../subnets/command.ts';
import { parseWhyPodArgs, whyPodCommand } from '../why-pod/command.ts';

const parsed = (spec: CommandSpec, argv: string[]) => parseCommandLine([...spec.path, ...argv], spec.path.length, spec, 'kubectl winprefix');

describe('get nodes, check, why pod: argv to operation', () => {
  it('get nodes: names, -l (repeated: ANDed), -o, --sort-by, --ec2, -w; -n is accepted and ignored', () => {
    const op = parseGetNodesArgs(parsed(getNodesCommand, ['a', 'b', 'a', '-l', 'x=y', '-l', 'z', '-o', 'wide', '--sort-by', 'free', '--ec2', '-w', '-n', 'ns', '--context', 'prod']));
    assert.deepEqual(op.nodeNames, ['a', 'b']);
    assert.equal(op.selector, 'x=y,z');
    assert.equal(op.output, 'wide');
    assert.equal(op.sortBy, 'free');
    assert.ok(op.ec2 && op.watch);
    assert.deepEqual(op.kube, { context: 'prod' });
    assert.throws(() => parsed(getNodesCommand, ['--sort-by', 'size']), (e: unknown) => e instanceof CliError && /invalid value "size" for --sort-by/.test(e.message));
    assert.throws(() => parseGetNodesArgs(parsed(getNodesCommand, ['-w', '-o', 'name'])), CliError);
  });

  it('check: nodes, selector, output', () => {
    const op = parseCheckArgs(parsed(checkCommand, ['n1', 'n2', '-o', 'json', '-l', 'pool=a']));
    assert.deepEqual(op.nodeNames, ['n1', 'n2']);
    assert.equal(op.output, 'json');
    assert.equal(op.selector, 'pool=a');
  });

  it('why pod: NAME, NAMESPACE/NAME or -n; the two must agree', () => {
    assert.deepEqual([parseWhyPodArgs(parsed(whyPodCommand, ['web-0'])).namespace, parseWhyPodArgs(parsed(whyPodCommand, ['web-0'])).podName], [null, 'web-0']);
    assert.equal(parseWhyPodArgs(parsed(whyPodCommand, ['shop/web-0'])).namespace, 'shop');
    assert.equal(parseWhyPodArgs(parsed(whyPodCommand, ['web-0', '-n', 'shop'])).namespace, 'shop');
    assert.throws(() => parseWhyPodArgs(parsed(whyPodCommand, ['a/web-0', '-n', 'b'])), (e: unknown) => e instanceof CliError && /-n says b/.test(e.message));
    assert.throws(() => parseWhyPodArgs(parsed(whyPodCommand, ['a/b/c'])), CliError);
    assert.throws(() => parsed(whyPodCommand, ['a', 'b']), (e: unknown) => e instanceof CliError && /unexpected argument "b"/.test(e.message));
  });

  it('through main(): a missing pod name says what to type; help lists the new commands', async () => {
    let stderr = '';
    let stdout = '';
    const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), env: {}, stdoutIsTTY: false, now: () => new Date() };
    assert.equal(await main(['why', 'pod'], io), 2);
    assert.equal(stderr, "error: name the pod: kubectl winprefix why pod [NAMESPACE/]NAME (or -n NAMESPACE NAME)\nSee 'kubectl winprefix why pod --help' for usage.\n");
    assert.equal(await main(['--help'], io), 0);
    for (const command of ['check', 'get', 'why']) assert.match(stdout, new RegExp(`kubectl winprefix ${command}`));
    stdout = '';
    assert.equal(await main(['get', 'nodes', '--help'], io), 0);
    assert.match(stdout, /^kubectl winprefix get nodes \[names\.\.\]/m);
  });
});

describe('the commands about many nodes: one -l, and -n accepted and ignored', () => {
  const commands = [
    { spec: getNodesCommand, parse: parseGetNodesArgs, extra: [] },
    { spec: checkCommand, parse: parseCheckArgs, extra: [] },
    { spec: subnetsCommand, parse: parseSubnetsArgs, extra: [] },
    { spec: migrateCommand, parse: parseMigrateArgs, extra: ['--to', 'prefix'] },
  ];
  for (const { spec, parse, extra } of commands) {
    it(spec.path.join(' '), () => {
      const op = parse(parsed(spec, [...extra, '-l', 'pool=a', '--selector', 'zone in (a,b)', '-n', 'shop', '--context', 'prod', '--region', 'eu-west-1']));
      assert.equal(op.selector, 'pool=a,zone in (a,b)', 'repeated -l: ANDed');
      assert.deepEqual(op.kube, { context: 'prod' }, '-n plays no part');
      assert.equal(op.aws.region, 'eu-west-1');
      assert.equal(parse(parsed(spec, extra)).selector, null);
      assert.throws(() => parse(parsed(spec, [...extra, '-l', ' '])), (e: unknown) => e instanceof CliError && /^-l\/--selector needs a value/.test(e.message));
      assert.deepEqual([spec.flags.selector, spec.flags.namespace], [getNodesCommand.flags.selector, getNodesCommand.flags.namespace], 'the same flags, the same help');
    });
  }
});
