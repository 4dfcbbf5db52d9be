/**
 * Where EC2 readers point: per node, and for the commands that read many nodes in one region. No EC2 call is
 * made (a reader is only built), so nothing is faked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CliError, type CliIO } from './io.ts';
import type { KubeNode } from './kube/objects.ts';
import { createProgress } from './progress.ts';
import { createEc2Access, ec2EndpointOverride, regionOfNodes, type ConnectionOp } from './session.ts';

// No shared AWS files, so no profile names a region: only flags, nodes and the environment do.
const home = mkdtempSync(join(tmpdir(), 'winprefix-session-'));
process.env.AWS_CONFIG_FILE = join(home, 'config');
process.env.AWS_SHARED_CREDENTIALS_FILE = join(home, 'credentials');
after(() => rmSync(home, { recursive: true, force: true }));

const node = (name: string, providerID?: string): KubeNode => ({ metadata: { name }, ...(providerID ? { spec: { providerID } } : {}) });
const op = (region?: string): ConnectionOp => ({ kube: {}, requestTimeoutMs: undefined, requestTimeoutText: '0', aws: { region, profile: undefined, endpoint: 'http://127.0.0.1:9' } });
const env = { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' };
let stderr = '';
const io: CliIO = { stdout: () => {}, stderr: (t) => void (stderr += t), env, stdoutIsTTY: false, now: () => new Date() };

function access(o: ConnectionOp) {
  return createEc2Access(o, io, createProgress({ stderr: io.stderr, boundedBy: '' }));
}

describe('EC2 access', () => {
  it('many nodes read in one region: the first a node names, and the same reader a node of that region gets', async () => {
    const nodes = [node('no-provider'), node('b', 'aws:///eu-west-1b/i-0b'), node('a', 'aws:///us-west-2a/i-0a')];
    assert.equal(regionOfNodes(nodes), 'eu-west-1');
    const a = access(op());
    try {
      const many = await a.ec2ForNodes(nodes);
      assert.deepEqual([many.where.region, many.where.regionSource, many.where.endpoint], ['eu-west-1', 'the node', 'http://127.0.0.1:9']);
      assert.equal((await a.ec2For('eu-west-1')).ec2, many.ec2, 'one reader per region for the whole run');
    } finally {
      a.close();
    }
  });

  it('--region wins over the nodes', async () => {
    const a = access(op('ap-south-1'));
    try {
      const { where } = await a.ec2ForNodes([node('a', 'aws:///us-west-2a/i-0a')]);
      assert.deepEqual([where.region, where.regionSource], ['ap-south-1', '--region']);
    } finally {
      a.close();
    }
  });

  it('no region anywhere: the error says that no node names one, and what to pass', async () => {
    const a = access(op());
    try {
      await assert.rejects(
        a.ec2ForNodes([node('a'), node('b', 'aws:////i-0b')]),
        (e: unknown) => e instanceof CliError && e.message === 'no AWS region: no node names one in its providerID or zone label, and neither AWS_REGION, AWS_DEFAULT_REGION nor the AWS profile sets one; pass --region',
      );
      await assert.rejects(a.ec2For(null), (e: unknown) => e instanceof CliError && e.message.startsWith("no AWS region: the node's providerID and zone label name none, and neither"));
    } finally {
      a.close();
    }
    assert.equal(stderr, '');
  });

  it('the endpoint: the flag, else AWS_ENDPOINT_URL_EC2, else AWS_ENDPOINT_URL, else none (the regional one)', () => {
    const aws = { region: undefined, profile: undefined, endpoint: undefined };
    assert.equal(ec2EndpointOverride({ ...aws, endpoint: 'http://flag' }, { AWS_ENDPOINT_URL_EC2: 'http://ec2' }), 'http://flag');
    assert.equal(ec2EndpointOverride(aws, { AWS_ENDPOINT_URL_EC2: 'http://ec2', AWS_ENDPOINT_URL: 'http://any' }), 'http://ec2');
    assert.equal(ec2EndpointOverride(aws, { AWS_ENDPOINT_URL: 'http://any' }), 'http://any');
    assert.equal(ec2EndpointOverride(aws, {}), undefined);
  });
});
