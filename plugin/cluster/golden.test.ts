/**
 * Golden output of `get nodes`, `check` and `why pod` at 100 columns (a pipe's width), for a cluster in every
 * state (testing/cluster.ts): get nodes with EC2 read and from the controller status alone, -o wide at 160,
 * check, and the story of a pod at each stage where one can stop. Every line must fit the width, at 80 too.
 * After an intended change: UPDATE_GOLDEN=1 node --test plugin/cluster/golden.test.ts, then read the diff.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderCheck } from '../check/render.ts';
import { clusterCheck } from '../check/report.ts';
import { validateClusterCheck } from '../check/schema.ts';
import { pod } from '../describe/testing/fixtures.ts';
import { renderNodes } from '../get-nodes/render.ts';
import { nodeList, nodeRows } from '../get-nodes/rows.ts';
import { validateNodeList } from '../get-nodes/schema.ts';
import { PLAIN, RICH, stripStyle } from '../render/style.ts';
import { checkGolden } from '../render/testing/golden.ts';
import { displayWidth } from '../render/text.ts';
import { renderStory } from '../why-pod/render.ts';
import { validatePodStory } from '../why-pod/schema.ts';
import { podStory } from '../why-pod/stages.ts';
import { analyzeCluster } from './analyze.ts';
import { clusterInputs, NOW } from './testing/cluster.ts';

const GOLDEN_DIR = new URL('./testing/golden/', import.meta.url);

const check = (name: string, text: string, width: number) => checkGolden(GOLDEN_DIR, name, text, width);

function views(ec2: boolean) {
  const inputs = clusterInputs({ ec2 });
  const analysis = analyzeCluster(inputs);
  const list = nodeList(nodeRows(analysis, inputs.map((i) => i.node), NOW), { now: NOW, selector: null, ec2 });
  return { inputs, analysis, list };
}

const storyOf = (name: string, namespace = 'default') => {
  const { inputs, analysis } = views(true);
  const i = inputs.findIndex((x) => x.pods.some((p) => p.metadata?.name === name && p.metadata.namespace === namespace));
  const found = inputs[i]!.pods.find((p) => p.metadata?.name === name)!;
  const podEvents = inputs[i]!.events.filter((e) => e.involvedObject?.uid === found.metadata?.uid);
  return podStory({ pod: { ...found, spec: { ...found.spec, nodeName: inputs[i]!.node.metadata!.name! } }, podEvents, report: analysis.reports[i], now: NOW });
};

describe('cluster views: golden output', () => {
  it('get nodes with EC2 read, at 100 columns', () => {
    const { list } = views(true);
    assert.deepEqual(validateNodeList(JSON.parse(JSON.stringify(list))), []);
    for (const width of [80, 100]) {
      const text = renderNodes(list.items, list.totals, { wide: false, style: PLAIN, width, noHeaders: false, ec2: true });
      if (width === 100) check('get-nodes-ec2-100', text, width);
      else assert.ok(text.split('\n').every((l) => displayWidth(l) <= 80), text);
    }
  });

  it('get nodes from the controller status alone, at 100 columns', () => {
    const { list } = views(false);
    check('get-nodes-status-100', renderNodes(list.items, list.totals, { wide: false, style: PLAIN, width: 100, noHeaders: false, ec2: false }), 100);
  });

  it('get nodes -o wide at 160 columns', () => {
    const { list } = views(true);
    check('get-nodes-wide-160', renderNodes(list.items, list.totals, { wide: true, style: PLAIN, width: 160, noHeaders: false, ec2: true }), 160);
  });

  it('check at 100 columns', () => {
    const { analysis } = views(true);
    const report = clusterCheck(analysis, { now: NOW, selector: null, nodeNames: [] });
    assert.deepEqual(validateClusterCheck(JSON.parse(JSON.stringify(report))), []);
    check('check-100', renderCheck(report, { wide: false, style: PLAIN, width: 100 }), 100);
    const narrow = renderCheck(report, { wide: true, style: RICH, width: 80 });
    for (const line of narrow.split('\n')) assert.ok(displayWidth(stripStyle(line)) <= 80, line);
  });

  for (const [name, pod] of [
    ['why-working', 'web-1'],
    ['why-no-free-28', 'frag-0'],
    ['why-node-full', 'iis-9'],
    ['why-not-on-eni', 'api-0'],
    ['why-unmanaged-node', 'tiny-0'],
  ] as const) {
    it(`why pod: ${name} at 100 columns`, () => {
      const story = storyOf(pod);
      assert.deepEqual(validatePodStory(JSON.parse(JSON.stringify(story))), []);
      check(`${name}-100`, renderStory(story, { style: PLAIN, width: 100, now: NOW }), 100);
    });
  }

  it('why pod: not scheduled, at 100 columns', () => {
    const unplaced = pod({ name: 'unplaced', uid: 'uid-unplaced', phase: 'Pending', ageSeconds: 120 });
    unplaced.spec = { ...unplaced.spec };
    delete unplaced.spec.nodeName;
    unplaced.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/6 nodes are available: 6 Insufficient vpc.amazonaws.com/PrivateIPv4Address.' }] };
    const story = podStory({ pod: unplaced, podEvents: [], report: undefined, now: NOW });
    check('why-unscheduled-100', renderStory(story, { style: PLAIN, width: 100, now: NOW }), 100);
  });
});
