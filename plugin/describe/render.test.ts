import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import type { CliIO } from '../io.ts';
import { occupancyBar } from '../render/bar.ts';
import { renderStructured } from '../render/structured.ts';
import { PLAIN, RICH, stripStyle, styleFor } from '../render/style.ts';
import { analyzeNode } from './analyze.ts';
import { renderHuman } from './render.ts';
import { validateNodeReport } from './report.ts';
import { eni, event, inputs, NOW, pod, windowsNode } from './testing/fixtures.ts';

const io = (o: Partial<CliIO>): CliIO => ({ stdout: () => {}, stderr: () => {}, env: {}, stdoutIsTTY: false, now: () => NOW, ...o });

const consistent = analyzeNode(
  inputs({
    node: windowsNode({ advertised: 144 }),
    pods: [1, 2, 3, 4, 5].map((i) => pod({ name: `web-${i}`, annotation: `10.0.1.${16 + i}/32` })),
    interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
    events: [event({ reason: 'ResourceAllocated', kind: 'Pod', name: 'web-1', namespace: 'default', message: 'Allocated 10.0.1.17/32' })],
  }),
);
const broken = analyzeNode(
  inputs({ pods: [pod({ name: 'ghost', annotation: '10.0.9.9/32' })], interfaces: [eni({ prefixes: ['10.0.1.16/28'] })] }),
);

describe('occupancy bars', () => {
  const cells = [...Array(5).fill('used'), 'cooling', ...Array(10).fill('free')] as const;
  it('Unicode cells on a colour terminal', () => {
    assert.equal(stripStyle(occupancyBar(cells, RICH)), '[■■■■■▨□□□□□□□□□□]');
  });
  it('plain ASCII and no escape codes otherwise', () => {
    assert.equal(occupancyBar(cells, PLAIN), '[#####~..........]');
  });
});

describe('style selection', () => {
  it('colour only on a terminal without NO_COLOR', () => {
    assert.equal(styleFor(io({ stdoutIsTTY: true })).rich, true);
    assert.equal(styleFor(io({ stdoutIsTTY: true, env: { NO_COLOR: '1' } })).rich, false);
    assert.equal(styleFor(io({ stdoutIsTTY: false })).rich, false);
    // no-color.org: an empty NO_COLOR does not disable colour.
    assert.equal(styleFor(io({ stdoutIsTTY: true, env: { NO_COLOR: '' } })).rich, true);
  });
});

describe('human output', () => {
  it('has the sections an operator reads, in order, with kubectl-like tables', () => {
    const text = renderHuman(consistent, { wide: false, style: PLAIN, now: NOW, width: 100 });
    const order = ['Node:', 'Managed by:', 'Mode:', 'Slots:', 'Capacity:', 'Config:', 'Findings:', 'Prefixes (1):', 'Pods (5, namespace default):', 'Warm:', 'Cooling:', 'Events (1, newest first):'];
    let at = -1;
    for (const heading of order) {
      const next = text.indexOf(heading);
      assert.ok(next > at, `${heading} comes after the previous section`);
      at = next;
    }
    assert.match(text, /^ {2}PREFIX {9}USED {3}COOLING {3}FREE {3}OCCUPANCY$/m);
    assert.match(text, /^ {2}10\.0\.1\.16\/28 {3}5 {6}0 {9}11 {5}\[\.#####\.{10}\]$/m);
    assert.match(text, /Capacity: +advertised 144, deliverable 144, kubelet max-pods 110; 5 pods request/);
    assert.match(text, /max-pods, not addresses, limits this node/);
    assert.match(text, /Findings: +none: Kubernetes and EC2 agree/);
    assert.doesNotMatch(text, /\u001b/);
    assert.ok(text.split('\n').every((line) => line === line.trimEnd()), 'no trailing spaces');
  });

  it('-o wide adds columns, not sections', () => {
    const narrow = renderHuman(consistent, { wide: false, style: PLAIN, now: NOW, width: 100 });
    const wide = renderHuman(consistent, { wide: true, style: PLAIN, now: NOW, width: 160 });
    assert.match(wide, /^ {2}NAMESPACE +NAME +ADDRESS +SOURCE +ENI +ANNOTATION +PHASE +UID +AGE$/m);
    assert.match(wide, /EC2: +region us-west-2; eni-0primary \(device 0, subnet-1, 10\.0\.0\.10\)/);
    assert.doesNotMatch(narrow, /ANNOTATION/);
  });

  it('findings come with meaning and action; colour only when asked for', () => {
    const plain = renderHuman(broken, { wide: false, style: PLAIN, now: NOW, width: 100 });
    assert.match(plain, /Findings \(1\):\n {2}x pod-address-not-on-eni \(address-not-assigned\): pod default\/ghost has address 10\.0\.9\.9/);
    assert.match(plain, /meaning: /);
    assert.match(plain, /do: +Delete the pod/);
    assert.match(plain, /run: +kubectl delete pod -n default ghost/);
    const rich = renderHuman(broken, { wide: false, style: RICH, now: NOW, width: 100 });
    assert.match(rich, /\u001b\[31m/);
    assert.match(stripStyle(rich), /✗ pod-address-not-on-eni/);
    assert.doesNotMatch(plain, /[✗■□▨…]/, 'plain output is ASCII');
  });

  it('says which half is missing when EC2 was not read', () => {
    const half = analyzeNode(inputs({ pods: [pod({ name: 'a', annotation: '10.0.1.17/32' })], interfaces: { error: 'EC2 endpoint is unreachable' } }));
    const text = renderHuman(half, { wide: false, style: PLAIN, now: NOW, width: 100 });
    assert.match(text, /EC2: +not read: EC2 endpoint is unreachable \(ENI sections are missing\)/);
    assert.match(text, /\? \(EC2 not read\)/);
  });
});

describe('structured output', () => {
  it('JSON is the versioned NodeReport with stable top-level fields', async () => {
    const doc = JSON.parse(await renderStructured(consistent, 'json')) as Record<string, unknown>;
    assert.equal(doc.apiVersion, 'winprefix.io/v1');
    assert.equal(doc.kind, 'NodeReport');
    assert.deepEqual(Object.keys(doc), [
      'apiVersion', 'kind', 'metadata', 'node', 'mode', 'statusAnnotation', 'controller', 'ec2', 'slots', 'interfaces', 'prefixes',
      'secondaryIps', 'pods', 'warm', 'cooling', 'capacity', 'config', 'events', 'findings',
    ]);
    assert.deepEqual(validateNodeReport(doc), []);
  });

  it('YAML carries the same document', async () => {
    assert.deepEqual(load(await renderStructured(broken, 'yaml')), JSON.parse(await renderStructured(broken, 'json')));
  });

  it('the validator rejects a document that breaks the schema, naming the path', async () => {
    const doc = JSON.parse(await renderStructured(consistent, 'json'));
    doc.prefixes[0].cells.pop();
    doc.pods[0].source = { kind: 'prefix' };
    delete doc.capacity.maxPods;
    assert.deepEqual(validateNodeReport(doc).sort(), [
      '$.capacity.maxPods: missing',
      '$.pods[0].source.interfaceId: missing',
      '$.pods[0].source.prefix: missing',
      '$.prefixes[0].cells: expected 16 items, got 15',
    ]);
  });
});

describe('controller state in the human output', () => {
  it('shows pending EC2 work and the last error when the controller publishes them', () => {
    const r = analyzeNode(
      inputs({
        node: windowsNode({
          status: {
            v: 1,
            at: NOW.toISOString(),
            mode: 'prefix',
            reason: 'prefix delegation is enabled',
            pending: { assignPrefixes: 1, assignSecondaryIps: 0, unassignPrefixes: 0, unassignSecondaryIps: 2, resync: true },
            lastError: { reason: 'throttled', message: 'RequestLimitExceeded', at: new Date(NOW.getTime() - 90_000).toISOString() },
          },
        }),
        interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
      }),
    );
    const text = renderHuman(r, { wide: false, style: PLAIN, now: NOW, width: 100 });
    assert.match(text, /^Pending EC2: +assign 1 prefix, release 2 secondary IPs, re-sync with EC2$/m);
    assert.match(text, /^Last error: +throttled 90s ago: RequestLimitExceeded$/m);
  });
});
