/**
 * planNodeRun, driven through node histories with no I/O (testing/node-world.ts): the simulator's in-process WorldEni performs
 * the EC2 requests the planner asks for, the test answers patches and capacity writes when and how it
 * likes, and time is a number it advances. This file: pods and their patches, capacity, config, restart
 * findings, wake-ups. What EC2 says (answers, periodic reads, addresses held elsewhere) is in
 * node-run-ec2.test.ts; seeded random histories in node-run.property.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COOL_DOWN_MS, EventReasons } from '../contract.ts';
import { DEFAULT_RELEASE_HOLD_DOWN_MS, INSUFFICIENT_CIDR_BACKOFF_MS, WARM_POOL_RETRY_MS } from '../ipam/pool.ts';
import { PATCH_RETRY_MS, TRANSIENT_WAIT_MS } from './node-run.ts';
import { eventsWith, ips, kinds, NodeWorld, PD, readyNode, SEC, unique } from './testing/node-world.ts';

describe('a pod gets an address at once, and the node goes on to its next pods', () => {
  test('a new pod gets a reservation and a patch intent in the run that first sees it', () => {
    const w = readyNode();
    const pod = w.addPod('a');
    const plan = w.run();
    assert.equal(plan.patches.length, 1);
    const [patch] = plan.patches;
    assert.equal(patch!.pod.uid, 'a');
    assert.equal(patch!.annotation, `${patch!.ip}/32`);
    assert.ok(w.onEni(patch!.ip), `${patch!.ip} is on the ENI`);
    assert.deepEqual(plan.ec2, [], 'one prefix still has 15 free addresses: warm target met');
    assert.deepEqual(w.pool.addressOf(pod.uid)?.ip, patch!.ip, 'reserved in the pool while the patch flies');
    assert.deepEqual(plan.events, [], 'nothing to say before the patch is answered');
  });

  test('pods that appear while earlier patches fly are planned at once, each with its own address', () => {
    const w = readyNode();
    w.addPods(2);
    const first = w.run();
    w.addPod('late');
    const second = w.run();
    assert.deepEqual(second.patches.map((p) => p.pod.uid), ['late'], 'pods with a patch in flight are not planned again');
    assert.ok(unique([...ips(first.patches), ...ips(second.patches)]));
    assert.equal(w.patchesInFlight.size, 3);
  });

  test('a 30-pod burst on a node with free addresses: 30 patch intents in one run, no address twice', () => {
    const w = readyNode({ data: { ...PD, 'windows-minimum-ip-target': '48' } });
    assert.equal(w.eni.prefixes.size, 3);
    w.addPods(30);
    const plan = w.run();
    assert.equal(plan.patches.length, 30);
    assert.ok(unique(ips(plan.patches)), 'thirty distinct addresses');
    for (const ip of ips(plan.patches)) assert.ok(w.onEni(ip), `${ip} is on the ENI`);
    assert.deepEqual(plan.metrics.allocationFailures, []);
    w.answerPatches('patched');
    const answered = w.run();
    assert.equal(eventsWith(answered, EventReasons.resourceAllocated).length, 30);
    assert.equal(answered.metrics.annotationLatencySeconds.length, 30);
    assert.deepEqual(answered.patches, [], 'annotated pods are not planned again');
  });

  test('a burst beyond the free addresses asks EC2 for enough prefixes in the same run; the rest are planned when they land', () => {
    const w = readyNode();
    w.addPods(50);
    const plan = w.run();
    assert.equal(plan.patches.length, 16, 'every free address of the one prefix goes out at once');
    assert.deepEqual(kinds(plan.ec2), ['assign-prefixes:3'], '34 waiting pods need 3 more prefixes');
    assert.equal(plan.metrics.allocationFailures.length, 34);
    assert.ok(plan.metrics.allocationFailures.every((r) => r === 'warm-pool-empty'));
    assert.deepEqual(plan.events, [], 'a wait that ends in a moment is not worth an event per pod');
    assert.equal(plan.requeueAfterMs, WARM_POOL_RETRY_MS);
    w.performEc2();
    const landed = w.run();
    assert.equal(landed.granted.length, 3);
    assert.equal(landed.patches.length, 34);
    assert.ok(unique([...ips(plan.patches), ...ips(landed.patches)]), 'fifty distinct addresses');
  });

  test('a pod still waiting after a second is told why, once', () => {
    const w = readyNode();
    w.addPods(16);
    w.advance(1);
    w.addPod('youngest');
    w.run(); // 16 patches, oldest first; the youngest waits for the prefix asked for
    w.advance(TRANSIENT_WAIT_MS);
    const told = w.run();
    assert.deepEqual(eventsWith(told, EventReasons.resourceAllocationFailed), ['Pod/pod-youngest']);
    assert.match(told.events[0]!.note.message, /asking EC2 for more prefixes/);
    w.advance(TRANSIENT_WAIT_MS);
    assert.deepEqual(eventsWith(w.run(), EventReasons.resourceAllocationFailed), [], 'not told twice');
    w.performEc2();
    assert.deepEqual(w.run().patches.map((p) => p.pod.uid), ['youngest']);
  });
});

describe('patch answers', () => {
  test('patched: a ResourceAllocated event and a latency sample; the pod is not planned again while the cache lags', () => {
    const w = readyNode();
    w.addPod('a');
    const [patch] = w.run().patches;
    w.advance(250);
    w.answerPatches('patched', { cacheLags: true });
    const plan = w.run();
    assert.deepEqual(eventsWith(plan, EventReasons.resourceAllocated), ['Pod/pod-a']);
    assert.equal(plan.events[0]!.note.type, 'Normal');
    assert.match(plan.events[0]!.note.message, new RegExp(`${patch!.annotation} to the pod \\(from prefix 10\\.0\\.16\\.0/28 on eni-`));
    assert.deepEqual(plan.metrics.annotationLatencySeconds, [0.25]);
    assert.deepEqual(plan.patches, [], 'acknowledged: the cache not showing it yet is no reason to patch again');
    w.showAnnotation('a', patch!.annotation);
    assert.deepEqual(w.run().events, [], 'one event per pod');
  });

  for (const outcome of ['refused', 'gone'] as const) {
    test(`${outcome}: the reservation goes back (released, cooling) and the node is looked at again soon`, () => {
      const w = readyNode();
      w.addPod('a');
      const [first] = w.run().patches;
      if (outcome === 'gone') w.deletePod('a');
      w.answerPatches(outcome);
      const plan = w.run();
      assert.deepEqual(plan.released, ['a']);
      assert.ok(plan.requeueAfterMs !== undefined && plan.requeueAfterMs <= PATCH_RETRY_MS);
      assert.deepEqual(plan.events, []);
      assert.deepEqual(plan.patches, [], 'not at once: a cache that has not caught up would otherwise spin a loop of refusals');
      if (outcome === 'refused') {
        const later = w.advance(PATCH_RETRY_MS).run();
        assert.equal(later.patches.length, 1, 'the pod, still waiting, is planned again after PATCH_RETRY_MS');
        assert.notEqual(later.patches[0]!.ip, first!.ip, 'with a fresh address: the old one cools');
      }
      w.addPod('b');
      assert.notEqual(w.run().patches[0]!.ip, first!.ip, 'the returned address cools before another pod gets it');
    });
  }

  test('failed: the reservation stays, and the same address is sent again after PATCH_RETRY_MS, not at once', () => {
    const w = readyNode();
    w.addPod('a');
    const [first] = w.run().patches;
    w.answerPatches('failed');
    const plan = w.run();
    assert.deepEqual(plan.released, []);
    assert.deepEqual(plan.patches, [], 'a failing API server is not hammered in a loop of answers and retries');
    assert.equal(plan.requeueAfterMs, PATCH_RETRY_MS);
    assert.ok(plan.logs.some((l) => l.level === 'warn' && /annotating pod failed/.test(l.message)));
    w.addPod('b');
    const meanwhile = w.run();
    assert.deepEqual(meanwhile.patches.map((p) => p.pod.uid), ['b']);
    assert.notEqual(meanwhile.patches[0]!.ip, first!.ip, 'the address stays reserved for the pod whose patch may have landed');
    assert.ok(meanwhile.requeueAfterMs !== undefined && meanwhile.requeueAfterMs <= PATCH_RETRY_MS);
    w.advance(PATCH_RETRY_MS);
    const retry = w.run();
    assert.deepEqual(retry.patches.map((p) => `${p.pod.uid}=${p.ip}`), [`a=${first!.ip}`]);
  });

  test('failed, then the retry refused because the first attempt landed after all: the address stays the pod\'s', () => {
    const w = readyNode({ coolDownMs: 0 });
    w.addPod('a');
    const [first] = w.run().patches;
    w.answerPatches('failed'); // it landed, the answer was lost; the cache does not show it yet
    w.run();
    w.advance(PATCH_RETRY_MS);
    assert.deepEqual(ips(w.run().patches), [first!.ip], 'the retry carries the same address');
    w.answerPatches('refused'); // "an IP annotation is there already": our own
    const refused = w.run();
    assert.deepEqual(refused.released, [], 'the pod may carry it: not given back');
    assert.deepEqual(refused.patches, [], 'and not written a third time');
    w.addPods(3);
    assert.ok(!ips(w.run().patches).includes(first!.ip), 'never handed to another pod while the pod may carry it');
    w.showAnnotation('a', first!.annotation);
    assert.deepEqual(w.run().patches, []);
    assert.equal(w.pool.addressOf('a')?.ip, first!.ip);
  });

  test('failed, then the retry refused because the pod was replaced: the old pod\'s address goes once the cache shows it gone', () => {
    const w = readyNode();
    w.addPod('a', { name: 'web-0' });
    w.run();
    w.answerPatches('failed');
    w.run();
    w.advance(PATCH_RETRY_MS);
    w.run();
    w.answerPatches('refused');
    assert.deepEqual(w.run().released, []);
    w.deletePod('a');
    w.addPod('b', { name: 'web-0' });
    const replaced = w.run();
    assert.deepEqual(replaced.released, ['a']);
    assert.deepEqual(replaced.patches.map((p) => p.pod.uid), ['b']);
  });

  test('fenced: nothing at all (this replica is stepping down)', () => {
    const w = readyNode();
    w.addPod('a');
    w.run();
    w.answerPatches('fenced');
    const plan = w.run();
    assert.deepEqual({ patches: plan.patches, events: plan.events, released: plan.released, ec2: plan.ec2, capacity: plan.capacity }, { patches: [], events: [], released: [], ec2: [], capacity: undefined });
  });

  test('an answer for a pod with no patch in flight (a duplicate, or one for an older pool) changes nothing', () => {
    const w = readyNode();
    w.addPod('a');
    w.run();
    w.answerPatches('patched');
    assert.equal(eventsWith(w.run(), EventReasons.resourceAllocated).length, 1);
    w.patchResults.push({ podUid: 'a', outcome: 'refused' }, { podUid: 'a', outcome: 'patched' }, { podUid: 'nobody', outcome: 'gone' });
    const plan = w.run();
    assert.deepEqual({ events: plan.events, released: plan.released, patches: plan.patches }, { events: [], released: [], patches: [] });
    assert.ok(w.pool.addressOf('a'));
  });
});

describe('pods that go, or are replaced, while their patch flies', () => {
  test('a pod deleted with its patch in flight: released at once, its late answer ignored, its address cools', () => {
    const w = readyNode();
    w.addPod('a');
    const [patch] = w.run().patches;
    w.deletePod('a');
    const gone = w.run();
    assert.deepEqual(gone.released, ['a']);
    assert.equal(w.pool.addressOf('a'), undefined);
    w.answerPatches('gone');
    const late = w.run();
    assert.deepEqual(late.released, [], 'released once');
    w.addPods(15);
    assert.ok(!ips(w.run().patches).includes(patch!.ip), 'not handed out while cooling');
    w.advance(COOL_DOWN_MS);
    w.addPod('after-cooling');
    assert.equal(w.run().patches[0]!.ip, patch!.ip);
  });

  test('a pod that finishes (Succeeded/Failed) gives its address back', () => {
    const w = readyNode();
    const pod = w.addPod('job');
    w.run();
    w.answerPatches('patched');
    w.run();
    w.pods.set('job', { ...w.pods.get('job')!, terminal: true });
    const plan = w.run();
    assert.deepEqual(plan.released, [pod.uid]);
  });

  test('a pod replaced under the same name (new UID): the old reservation goes, the new pod gets its own address', () => {
    const w = readyNode();
    w.addPod('old', { name: 'web-0' });
    const [oldPatch] = w.run().patches;
    w.deletePod('old');
    w.addPod('new', { name: 'web-0' });
    const plan = w.run();
    assert.deepEqual(plan.released, ['old']);
    assert.deepEqual(plan.patches.map((p) => p.pod.uid), ['new']);
    assert.notEqual(plan.patches[0]!.ip, oldPatch!.ip);
    // The old patch's precondition (same UID) failed at the API server.
    w.answerPatches((p) => (p.pod.uid === 'old' ? 'refused' : 'patched'));
    const answered = w.run();
    assert.deepEqual(answered.released, []);
    assert.deepEqual(eventsWith(answered, EventReasons.resourceAllocated), ['Pod/web-0']);
    assert.equal(answered.events[0]!.regarding.uid, 'new');
  });
});

describe('capacity', () => {
  test('written once per change, never while a write is in flight', () => {
    const w = new NodeWorld();
    const first = w.run();
    assert.equal(first.capacity, 144);
    w.performEc2();
    assert.equal(w.run().capacity, undefined, 'in flight');
    w.answerCapacity(true);
    const acked = w.run();
    assert.equal(acked.capacity, undefined);
    assert.ok(acked.logs.some((l) => l.message === 'capacity advertised' && l.fields.capacity === 144));
    w.addPods(5);
    assert.equal(w.run().capacity, undefined, 'unchanged');
  });

  test('a node that already advertises its capacity (restart) is not written again', () => {
    const w = new NodeWorld({ restore: { prefixes: 1 }, capacity: 144 });
    assert.equal(w.run().capacity, undefined);
  });

  test('a failed write is retried after PATCH_RETRY_MS, once at a time', () => {
    const w = new NodeWorld();
    w.run();
    w.answerCapacity(false);
    const failed = w.run();
    assert.equal(failed.capacity, undefined, 'not hammered in a loop of answers and retries');
    assert.equal(failed.requeueAfterMs, PATCH_RETRY_MS);
    w.advance(PATCH_RETRY_MS);
    const retry = w.run();
    assert.equal(retry.capacity, 144);
    assert.equal(w.run().capacity, undefined, 'the retry is in flight');
  });

  test('InsufficientCidrBlocks: one CapacityAdvertised Warning, even when the lowered write fails and is retried', () => {
    const w = readyNode({ prefixBlocks: 1 });
    w.addPods(17);
    w.run();
    w.performEc2();
    const lowered = w.run();
    assert.equal(lowered.capacity, 16);
    w.answerCapacity(false);
    w.advance(PATCH_RETRY_MS);
    w.run();
    w.advance(PATCH_RETRY_MS);
    const retry = w.run();
    assert.equal(w.capacityInFlight, 16);
    w.answerCapacity(true);
    w.run();
    assert.equal(w.events().filter((e) => e.note.reason === EventReasons.capacityAdvertised).length, 1, JSON.stringify(retry.events));
  });
});

describe('capacity while the subnet has no /28', () => {
  test('one CapacityAdvertised Warning per shortage: later changes while it lasts are written without one, the next shortage has its own', () => {
    const pods = Array.from({ length: 16 }, (_, i) => ({ uid: `p${i}`, annotation: `10.0.16.${i}/32` }));
    const w = new NodeWorld({ prefixBlocks: 1, capacity: 144, restore: { prefixes: 1, pods: [...pods, { uid: 'lost', annotation: '10.0.99.1/32' }] } });
    w.settle();
    assert.equal(w.advertised, 17, 'the attached prefix and the pod whose address left the ENI');
    assert.equal(w.events().filter((e) => e.note.reason === EventReasons.capacityAdvertised).length, 1);
    w.deletePod('lost');
    const fell = w.settle();
    assert.equal(w.advertised, 16);
    assert.deepEqual(fell.flatMap((p) => eventsWith(p, EventReasons.capacityAdvertised)), [], 'the shortage was said; 17 -> 16 is not news');
    w.eni.addBlocks(1);
    w.advance(INSUFFICIENT_CIDR_BACKOFF_MS);
    w.settle();
    assert.equal(w.advertised, 144);
    w.addPods(17);
    w.settle();
    assert.equal(w.advertised, 32);
    assert.equal(w.events().filter((e) => e.note.reason === EventReasons.capacityAdvertised).length, 2, 'a new shortage is said again');
  });
});

describe('config and mode', () => {
  test('a changed target is applied and logged; no event while the mode stays', () => {
    const w = readyNode();
    w.data = { ...PD, 'windows-warm-ip-target': '20' };
    const plan = w.run();
    assert.ok(plan.logs.some((l) => l.message === 'node config applied' && l.fields.warmIPTarget === 20));
    assert.deepEqual(plan.events, []);
    assert.deepEqual(kinds(plan.ec2), ['assign-prefixes:1']);
    assert.deepEqual(w.run().logs.filter((l) => l.message === 'node config applied'), [], 'applied once');
  });

  test('prefix -> secondary: one IPAMModeChanged event, the capacity rewritten, new pods get secondary IPs', () => {
    const w = readyNode();
    w.addPods(2);
    w.settle();
    w.data = SEC;
    const plan = w.run();
    assert.deepEqual(eventsWith(plan, EventReasons.modeChanged), ['Node/win-1']);
    assert.match(plan.events[0]!.note.message, /from prefix mode to secondary mode/);
    assert.equal(plan.capacity, 9, '8 free slots for IPs plus the 2 pods on the draining prefix, never above nominal 9');
    w.settle();
    w.addPod('sec');
    const after = w.run();
    assert.equal(after.patches[0]!.annotation, `${after.patches[0]!.ip}/19`);
    assert.deepEqual(eventsWith(after, EventReasons.modeChanged), []);
  });
});

describe('what the rebuilt pool found (restart)', () => {
  test('two running pods with one address: the second is told once, an error logged', () => {
    const w = new NodeWorld({
      restore: { prefixes: 1, pods: [{ uid: 'first', annotation: '10.0.16.5/32' }, { uid: 'second', annotation: '10.0.16.5/32' }] },
    });
    const plan = w.run();
    assert.deepEqual(eventsWith(plan, EventReasons.addressVanished), ['Pod/pod-second']);
    assert.match(plan.events[0]!.note.message, /carries the same address 10\.0\.16\.5\/32; winprefix kept the other one/);
    assert.ok(plan.logs.some((l) => l.level === 'error' && l.fields.podUid === 'second'));
    assert.deepEqual(w.run().events, []);
    w.addPods(15);
    w.advance(COOL_DOWN_MS);
    assert.ok(!ips(w.run().patches).includes('10.0.16.5'), 'not handed to a third pod');
  });

  test('a running pod whose address is not on the ENI: quarantined, told once', () => {
    const w = new NodeWorld({ restore: { prefixes: 1, pods: [{ uid: 'lost', annotation: '10.0.99.7/32' }] } });
    const plan = w.run();
    assert.deepEqual(eventsWith(plan, EventReasons.addressVanished), ['Pod/pod-lost']);
    assert.deepEqual(eventsWith(w.run(), EventReasons.addressVanished), []);
  });

  test('a running pod with an address this pool did not hand out (a deposed leader\'s late patch) is taken in', () => {
    const w = readyNode();
    w.addPod('late', { annotation: '10.0.16.4/32', hasAnnotations: true });
    const plan = w.run();
    assert.ok(plan.logs.some((l) => l.level === 'warn' && /did not hand out/.test(l.message)));
    assert.equal(w.pool.addressOf('late')?.ip, '10.0.16.4');
    w.addPods(15);
    const next = w.run();
    assert.ok(!ips(next.patches).includes('10.0.16.4'));
    assert.deepEqual(next.patches.length, 15);
  });
});

describe('requeueAfterMs: set whenever something needs a later look, never below 1', () => {
  test('nothing pending: no requeue', () => {
    const w = readyNode();
    assert.equal(w.run().requeueAfterMs, undefined);
  });

  test('a cooling address: the run after it cools', () => {
    const w = readyNode();
    w.addPod('a');
    w.settle();
    w.advance(5_000);
    w.deletePod('a');
    assert.equal(w.run().requeueAfterMs, COOL_DOWN_MS);
  });

  test('a surplus prefix: when its hold-down ends', () => {
    const w = readyNode();
    w.addPods(17);
    w.settle();
    for (const uid of [...w.pods.keys()]) w.deletePod(uid);
    w.run();
    w.advance(COOL_DOWN_MS);
    assert.equal(w.run().requeueAfterMs, DEFAULT_RELEASE_HOLD_DOWN_MS, 'surplus from the first run that sees it fully free and cooled');
  });

  test('InsufficientCidrBlocks backoff and a patch retry: the earliest of them', () => {
    const w = readyNode({ prefixBlocks: 1 });
    w.addPods(17);
    w.run();
    w.performEc2();
    w.answerPatches((p) => (p.pod.uid === 'u1' ? 'failed' : 'patched'));
    const plan = w.run();
    assert.equal(plan.requeueAfterMs, PATCH_RETRY_MS);
  });
});
