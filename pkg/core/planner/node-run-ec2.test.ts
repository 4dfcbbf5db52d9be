/**
 * planNodeRun and what EC2 says: each request kind's answers, periodic reads of the ENI that agree or
 * not, and addresses that pods on other nodes carry. No I/O: the simulator's in-process WorldEni performs the requests, the
 * test delivers answers and reads when it likes (testing/node-world.ts). Pods and patches are in
 * node-run.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COOL_DOWN_MS, EventReasons } from '../contract.ts';
import { DEFAULT_RELEASE_HOLD_DOWN_MS, INSUFFICIENT_CIDR_BACKOFF_MS, RESYNC_RETRY_MS } from '../ipam/pool.ts';
import { parseIPv4 } from '../net/ipv4.ts';
import { PATCH_RETRY_MS, TRANSIENT_WAIT_MS } from './node-run.ts';
import { eventsWith, ips, kinds, NodeWorld, readyNode } from './testing/node-world.ts';

describe('EC2 answers, typed by request kind', () => {
  test('assign ok: `granted` lists what EC2 gave; a debug log line, no event', () => {
    const w = new NodeWorld();
    const plan = w.run();
    assert.deepEqual(kinds(plan.ec2), ['assign-prefixes:1']);
    w.performEc2();
    const done = w.run();
    assert.deepEqual(done.granted, ['10.0.16.0/28']);
    assert.ok(done.logs.some((l) => l.level === 'debug' && l.message === 'EC2 request done'));
    assert.deepEqual(done.events, []);
    assert.deepEqual(done.metrics.resyncs, []);
  });

  test('assign partly done: what was created is granted and used, the rest waits for a re-read (ec2-error)', () => {
    const w = readyNode();
    w.addPods(40);
    assert.deepEqual(kinds(w.run().ec2), ['assign-prefixes:2']);
    w.performEc2(() => ({ fail: 'throttled', done: 1 }));
    const plan = w.run();
    assert.deepEqual(plan.granted, ['10.0.16.16/28']);
    assert.equal(plan.patches.length, 16, 'the prefix that came is used at once');
    assert.deepEqual(kinds(plan.ec2), ['resync:ec2-error']);
    assert.deepEqual(plan.metrics.resyncs, ['ec2-error']);
    assert.ok(plan.logs.some((l) => l.level === 'warn' && l.fields.error === 'throttled'));
    assert.ok(plan.metrics.allocationFailures.every((r) => r === 'resyncing'));
    w.performEc2();
    const after = w.run();
    assert.deepEqual(kinds(after.ec2), ['assign-prefixes:1'], 'growth resumes after the re-read');
  });

  test('assign failed: nothing granted, a re-read, then growth again', () => {
    const w = readyNode();
    w.addPods(17);
    w.run();
    w.performEc2(() => ({ fail: 'unreachable' }));
    const plan = w.run();
    assert.deepEqual(plan.granted, []);
    assert.deepEqual(kinds(plan.ec2), ['resync:ec2-error']);
    w.performEc2();
    assert.deepEqual(kinds(w.run().ec2), ['assign-prefixes:1']);
  });

  test('InsufficientCidrBlocks: one node Warning, no re-read, capacity lowered with one Warning and raised when a prefix comes', () => {
    const w = readyNode({ prefixBlocks: 1 });
    assert.equal(w.advertised, 144);
    w.addPods(17);
    w.run();
    w.performEc2(); // the subnet has no block left
    const refused = w.run();
    assert.deepEqual(eventsWith(refused, EventReasons.insufficientCidrBlocks), ['Node/win-1']);
    assert.equal(refused.events.find((e) => e.note.reason === EventReasons.insufficientCidrBlocks)!.note.type, 'Warning');
    assert.deepEqual(refused.ec2, [], 'no re-read and no retry during the backoff');
    assert.deepEqual(refused.metrics.resyncs, []);
    assert.equal(refused.capacity, 16, 'what the attached prefix holds');
    assert.deepEqual(refused.metrics.allocationFailures, ['insufficient-cidr-blocks']);
    assert.ok(refused.requeueAfterMs !== undefined && refused.requeueAfterMs > 0);
    w.answerCapacity(true);
    w.advance(TRANSIENT_WAIT_MS);
    const later = w.run();
    assert.deepEqual(eventsWith(later, EventReasons.insufficientCidrBlocks), [], 'said once');
    assert.deepEqual(eventsWith(later, EventReasons.capacityAdvertised), ['Node/win-1'], 'the lowered capacity is said once it is written');
    assert.match(later.events[0]!.note.message, /Advertising 16 vpc\.amazonaws\.com\/PrivateIPv4Address instead of 144/);
    assert.equal(later.capacity, undefined);
    assert.deepEqual(eventsWith(w.run(), EventReasons.capacityAdvertised), []);
    w.eni.addBlocks(2);
    w.advance(INSUFFICIENT_CIDR_BACKOFF_MS);
    const retried = w.run();
    assert.deepEqual(kinds(retried.ec2), ['assign-prefixes:1']);
    assert.equal(retried.capacity, undefined, 'asking again is no promise: the capacity rises when the prefix comes');
    w.performEc2();
    const grown = w.run();
    assert.equal(grown.capacity, 144);
    assert.deepEqual(grown.events.filter((e) => e.note.type === 'Warning'), []);
    assert.equal(grown.patches.length, 1, 'the waiting pod gets its address');
  });

  test('InsufficientCidrBlocks, asked again after each backoff and refused again: the capacity stays lowered, said once', () => {
    const w = readyNode({ prefixBlocks: 1 });
    w.addPods(17);
    w.run();
    w.performEc2();
    assert.equal(w.run().capacity, 16);
    w.answerCapacity(true);
    for (let i = 0; i < 3; i++) {
      w.advance(INSUFFICIENT_CIDR_BACKOFF_MS);
      const retried = w.run();
      assert.deepEqual(kinds(retried.ec2), ['assign-prefixes:1']);
      assert.equal(retried.capacity, undefined, 'no rise to 32 for a prefix merely asked for');
      w.performEc2();
      assert.equal(w.run().capacity, undefined, 'and so no fall back to 16');
    }
    assert.equal(w.events().filter((e) => e.note.reason === EventReasons.capacityAdvertised).length, 1);
    assert.equal(w.events().filter((e) => e.note.reason === EventReasons.insufficientCidrBlocks).length, 1);
  });

  test('InsufficientCidrBlocks again after a prefix came: the node hears it again', () => {
    const w = readyNode({ prefixBlocks: 1 });
    w.addPods(17);
    w.run();
    w.performEc2();
    assert.equal(eventsWith(w.run(), EventReasons.insufficientCidrBlocks).length, 1);
    w.eni.addBlocks(1);
    w.advance(INSUFFICIENT_CIDR_BACKOFF_MS);
    w.run();
    w.performEc2();
    w.run();
    w.addPods(16);
    w.run();
    w.performEc2();
    assert.equal(eventsWith(w.run(), EventReasons.insufficientCidrBlocks).length, 1);
  });

  test('PrivateIpAddressLimitExceeded: a re-read and a 30 s backoff, the pods told why', () => {
    const w = readyNode();
    w.addPods(17);
    w.run();
    w.performEc2(() => ({ fail: 'address-limit-exceeded' }));
    const plan = w.run();
    assert.deepEqual(kinds(plan.ec2), ['resync:ec2-error']);
    w.performEc2();
    const after = w.run();
    assert.deepEqual(after.ec2, [], 'backing off');
    assert.deepEqual(after.metrics.allocationFailures, ['address-limit-exceeded']);
    assert.ok(after.requeueAfterMs !== undefined && after.requeueAfterMs > 0 && after.requeueAfterMs <= 30_000);
  });

  /** A node with one surplus prefix whose hold-down has passed: the run returned plans its release. */
  function nodeReleasingAPrefix() {
    const w = readyNode();
    w.addPods(17);
    w.settle();
    for (const uid of [...w.pods.keys()]) w.deletePod(uid);
    w.settle();
    w.advance(COOL_DOWN_MS);
    w.run(); // cooled: both prefixes free, the second one surplus from now
    w.advance(DEFAULT_RELEASE_HOLD_DOWN_MS);
    const plan = w.run();
    const unassign = plan.ec2.find((r) => r.kind === 'unassign-prefixes');
    assert.ok(unassign && unassign.kind === 'unassign-prefixes', `an unassign was planned: ${JSON.stringify(plan.ec2)}`);
    return { w, prefix: unassign.prefixes[0]! };
  }

  test('unassign ok: the prefix leaves the ENI, nothing else happens', () => {
    const { w, prefix } = nodeReleasingAPrefix();
    w.performEc2();
    const plan = w.run();
    assert.ok(!w.eni.prefixes.has(prefix));
    assert.deepEqual({ ec2: plan.ec2, events: plan.events, granted: plan.granted }, { ec2: [], events: [], granted: [] });
    assert.ok(!w.pool.holds(prefix));
  });

  test('unassign refused by EC2: the prefix stays and is usable again after a re-read', () => {
    const { w, prefix } = nodeReleasingAPrefix();
    w.performEc2(() => ({ fail: 'other' }));
    const plan = w.run();
    assert.deepEqual(kinds(plan.ec2), ['resync:ec2-error']);
    w.performEc2();
    w.run();
    assert.ok(w.pool.holds(prefix));
  });

  test('unassign timed out after EC2 released: nothing from the prefix is handed out before the re-read drops it', () => {
    const { w, prefix } = nodeReleasingAPrefix();
    w.performEc2(() => ({ fail: 'unreachable', done: 1 }));
    w.addPods(20);
    const plan = w.run();
    assert.deepEqual(kinds(plan.ec2), ['resync:ec2-error']);
    for (const ip of ips(plan.patches)) assert.ok(w.onEni(ip), `${ip} handed out although ${prefix} may be gone`);
    w.performEc2();
    const after = w.run();
    assert.ok(!w.pool.holds(prefix));
    for (const ip of ips(after.patches)) assert.ok(w.onEni(ip));
  });

  test('re-read failed: retried after RESYNC_RETRY_MS, the node asked to look again by then', () => {
    const w = readyNode();
    w.addPods(17);
    w.run();
    w.performEc2(() => ({ fail: 'throttled' }));
    w.run();
    w.performEc2(() => ({ fail: 'throttled' }));
    const failed = w.run();
    assert.deepEqual(failed.ec2, []);
    assert.ok(failed.requeueAfterMs !== undefined && failed.requeueAfterMs <= RESYNC_RETRY_MS);
    w.advance(RESYNC_RETRY_MS);
    assert.deepEqual(kinds(w.run().ec2), ['resync:ec2-error']);
  });
});

describe('periodic reads of the ENI', () => {
  /** A node whose first prefix holds three annotated pods. */
  function nodeWithPods() {
    const w = readyNode();
    w.addPods(3);
    w.settle();
    return w;
  }

  test('a read that agrees: nothing planned, nothing said', () => {
    const w = nodeWithPods();
    w.read();
    const plan = w.run();
    assert.deepEqual({ ec2: plan.ec2, events: plan.events, logs: plan.logs, contradictions: plan.metrics.contradictions }, { ec2: [], events: [], logs: [], contradictions: [] });
  });

  test('a held prefix missing from the read: out of use at once, re-read (contradiction), then each pod told once', () => {
    const w = nodeWithPods();
    w.eni.removeExternally('10.0.16.0/28');
    w.read();
    w.addPod('during');
    const seen = w.run();
    assert.deepEqual(seen.metrics.contradictions, ['missing-from-read']);
    assert.ok(seen.logs.some((l) => l.level === 'warn' && /no longer shows/.test(l.message)));
    assert.deepEqual(kinds(seen.ec2), ['resync:contradiction']);
    assert.deepEqual(seen.metrics.resyncs, ['contradiction']);
    assert.deepEqual(seen.patches, [], 'nothing handed out from the suspect prefix');
    assert.deepEqual(seen.metrics.allocationFailures, ['resyncing']);
    w.addPod('during-2');
    assert.deepEqual(w.run().patches, [], 'nor in a later run before the re-read');
    w.performEc2();
    const reread = w.run();
    assert.deepEqual(eventsWith(reread, EventReasons.addressVanished).sort(), ['Node/win-1', 'Pod/pod-u1', 'Pod/pod-u2', 'Pod/pod-u3']);
    assert.match(reread.events.find((e) => e.regarding.name === 'pod-u1')!.note.message, /Delete the pod/);
    assert.deepEqual(w.pool.quarantined().map((q) => q.podUid).sort(), ['u1', 'u2', 'u3']);
    for (const ip of ips(reread.patches)) assert.ok(!ip.startsWith('10.0.16.') || Number(ip.split('.')[3]) >= 16, `${ip} came from the removed prefix`);
    // Later runs, later reads: no pod hears it again.
    for (let i = 0; i < 3; i++) {
      w.settle();
      w.read();
      w.advance(COOL_DOWN_MS);
      assert.deepEqual(eventsWith(w.run(), EventReasons.addressVanished), []);
    }
    assert.ok(w.pods.get('during')!.annotation && w.onEni(w.pods.get('during')!.annotation!.split('/')[0]!));
  });

  /** `nodeWithPods` plus pod 'v' whose patch (10.0.16.3) is in flight when the re-read confirms its prefix gone. */
  function vanishedUnderAPatchInFlight(o: { returnToSubnet?: boolean } = {}) {
    const w = nodeWithPods();
    w.addPod('v');
    assert.deepEqual(ips(w.run().patches), ['10.0.16.3']);
    w.eni.removeExternally('10.0.16.0/28', o);
    w.read();
    w.run();
    w.performEc2();
    const reread = w.run();
    w.performEc2(); // the replacement prefix
    return { w, reread };
  }

  test('a pod whose patch flies when its address is confirmed gone is told only once the patch lands', () => {
    const { w, reread } = vanishedUnderAPatchInFlight();
    assert.deepEqual(eventsWith(reread, EventReasons.addressVanished).sort(), ['Node/win-1', 'Pod/pod-u1', 'Pod/pod-u2', 'Pod/pod-u3'], 'pod-v does not carry the address yet');
    w.answerPatches('patched');
    const landed = w.run();
    assert.deepEqual(eventsWith(landed, EventReasons.addressVanished), ['Pod/pod-v']);
    assert.deepEqual(eventsWith(w.run(), EventReasons.addressVanished), []);
  });

  test('a pod whose patch failed before its address was confirmed gone: neither the dead address nor a fresh one is written; it is told once', () => {
    const { w } = vanishedUnderAPatchInFlight();
    w.answerPatches('failed');
    w.run();
    w.advance(PATCH_RETRY_MS);
    const due = w.run();
    // A fresh address could end up on a second pod: if the failed patch landed, this pod carries the old one.
    assert.deepEqual(due.patches, []);
    assert.deepEqual(due.released, [], 'the quarantined address stays the pod\'s');
    assert.deepEqual(eventsWith(due, EventReasons.addressVanished), ['Pod/pod-v']);
    assert.match(due.events[0]!.note.message, /reserved for this pod \(its annotation patch failed, so the pod may carry it\).*Delete the pod/);
    for (let i = 0; i < 3; i++) {
      w.advance(COOL_DOWN_MS);
      const later = w.run();
      assert.deepEqual({ patches: later.patches, events: eventsWith(later, EventReasons.addressVanished) }, { patches: [], events: [] });
    }
  });

  test('a pod whose patch failed while its block was away gets that address written once EC2 gives the block back', () => {
    const { w } = vanishedUnderAPatchInFlight({ returnToSubnet: true });
    w.answerPatches('failed');
    assert.deepEqual(w.run().granted, ['10.0.16.0/28'], 'the prefix EC2 gave in place of the lost one is the same block');
    assert.deepEqual(w.pool.quarantined(), [], 'its pods have their addresses again');
    w.advance(PATCH_RETRY_MS);
    assert.deepEqual(w.run().patches.map((p) => `${p.pod.uid}=${p.ip}`), ['v=10.0.16.3']);
  });

  for (const truth of ['still there', 'gone'] as const) {
    test(`a failed patch whose address a read disputes is not sent again before the re-read (the address was ${truth})`, () => {
      const w = nodeWithPods();
      w.addPod('v');
      const [first] = w.run().patches;
      w.answerPatches('failed');
      w.run();
      if (truth === 'gone') w.eni.removeExternally('10.0.16.0/28');
      w.read({ prefixes: [], secondaryIps: [] });
      w.advance(PATCH_RETRY_MS);
      const disputed = w.run();
      assert.deepEqual(kinds(disputed.ec2), ['resync:contradiction']);
      assert.deepEqual(disputed.patches, [], 'the address may be gone: the retry waits for the re-read');
      w.performEc2();
      const settled = w.run();
      if (truth === 'still there') {
        assert.deepEqual(settled.patches.map((p) => `${p.pod.uid}=${p.ip}`), [`v=${first!.ip}`], 'sent again once the re-read confirmed it');
      } else {
        assert.deepEqual(settled.patches, [], 'never the dead address');
        assert.ok(eventsWith(settled, EventReasons.addressVanished).includes('Pod/pod-v'));
      }
    });
  }

  test('a lagging read that the re-read contradicts: nothing quarantined, the prefix back in use', () => {
    const w = nodeWithPods();
    w.read({ prefixes: [], secondaryIps: [] });
    const seen = w.run();
    assert.deepEqual(kinds(seen.ec2), ['resync:contradiction']);
    w.performEc2();
    w.addPod('next');
    const reread = w.run();
    assert.deepEqual(eventsWith(reread, EventReasons.addressVanished), []);
    assert.deepEqual(w.pool.quarantined(), []);
    assert.deepEqual(reread.patches.map((p) => p.ip), ['10.0.16.3']);
  });

  test('an address on the ENI the pool does not know: re-read (contradiction) and taken in', () => {
    const w = nodeWithPods();
    const extra = w.eni.addExternally('prefix')!;
    w.read();
    const seen = w.run();
    assert.deepEqual(seen.metrics.contradictions, ['unexpected-on-eni']);
    assert.ok(seen.logs.some((l) => l.level === 'info' && /does not know/.test(l.message)));
    assert.deepEqual(kinds(seen.ec2), ['resync:contradiction']);
    w.performEc2();
    const reread = w.run();
    assert.ok(w.pool.holds(extra));
    assert.ok(reread.logs.some((l) => l.message === 're-synced with EC2' && JSON.stringify(l.fields.added) === JSON.stringify([extra])));
    assert.deepEqual(reread.events, []);
  });

  test('a read sent before an assign landed does not count what that assign added as missing', () => {
    const w = nodeWithPods();
    const stale = { eni: w.eni.state, epoch: w.pool.mutationEpoch };
    w.addPods(14);
    w.run();
    w.performEc2();
    w.run();
    w.observation = stale;
    const plan = w.run();
    assert.deepEqual(plan.metrics.contradictions, []);
    assert.deepEqual(plan.ec2, []);
  });
});

describe('addresses carried by pods on other nodes', () => {
  test('never in a patch intent; reported once; back after cool-down once the claim goes', () => {
    const w = readyNode();
    const claimed = ['10.0.16.0', '10.0.16.1', '10.0.16.2'];
    for (const ip of claimed) w.elsewhere.set(parseIPv4(ip), `default/far-${ip} on node win-2`);
    w.addPods(3);
    const plan = w.run();
    assert.ok(ips(plan.patches).every((ip) => !claimed.includes(ip)), `patched ${ips(plan.patches)}`);
    assert.deepEqual(plan.metrics.contradictions, ['held-elsewhere', 'held-elsewhere', 'held-elsewhere']);
    assert.equal(plan.logs.filter((l) => /carried by a running pod on another node/.test(l.message)).length, 3);
    assert.deepEqual(w.run().metrics.contradictions, [], 'reported once');
    w.elsewhere.delete(parseIPv4('10.0.16.1'));
    w.addPod('next');
    assert.notEqual(w.run().patches[0]!.ip, '10.0.16.1', 'the freed address cools first');
    w.advance(COOL_DOWN_MS);
    w.addPods(12);
    assert.ok(ips(w.run().patches).includes('10.0.16.1'));
  });
});
