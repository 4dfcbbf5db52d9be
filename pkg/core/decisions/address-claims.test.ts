import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIPv4 } from '../net/ipv4.ts';
import { AddressClaims } from './address-claims.ts';

const ip = parseIPv4;
const a1 = { uid: 'a1', nodeName: 'node-a', namespace: 'default', name: 'a1' };
const b1 = { uid: 'b1', nodeName: 'node-b', namespace: 'default', name: 'b1' };

test('an annotated running pod holds its address for every other node, not its own', () => {
  const c = new AddressClaims();
  c.setPod(a1, '10.0.16.5/32', true);
  assert.equal(c.heldElsewhere(ip('10.0.16.5'), 'node-b'), 'default/a1 on node node-a');
  assert.equal(c.heldElsewhere(ip('10.0.16.5'), 'node-a'), undefined);
  assert.equal(c.heldElsewhere(ip('10.0.16.6'), 'node-b'), undefined);
});

test('finished, deleted or re-annotated pods let go of their old address', () => {
  const c = new AddressClaims();
  c.setPod(a1, '10.0.16.5/32', true);
  c.setPod(a1, '10.0.16.5/32', false);
  assert.equal(c.heldElsewhere(ip('10.0.16.5'), 'node-b'), undefined, 'terminal');
  c.setPod(a1, '10.0.16.5/32', true);
  c.setPod(a1, '10.0.16.9/32', true);
  assert.equal(c.heldElsewhere(ip('10.0.16.5'), 'node-b'), undefined, 'changed');
  assert.ok(c.heldElsewhere(ip('10.0.16.9'), 'node-b'));
  c.removePod('a1');
  assert.equal(c.heldElsewhere(ip('10.0.16.9'), 'node-b'), undefined, 'deleted');
  c.setPod(a1, 'garbage', true);
  assert.deepEqual(c.claimants(ip('10.0.16.9')), []);
});

test('a reservation holds the address until the pod shows it annotated, or it is dropped', () => {
  const c = new AddressClaims();
  c.reserve('10.0.16.5', a1);
  assert.ok(c.heldElsewhere(ip('10.0.16.5'), 'node-b'), 'reserved, patch in flight');
  c.setPod(a1, undefined, true);
  assert.ok(c.heldElsewhere(ip('10.0.16.5'), 'node-b'), 'the cache has not caught up yet');
  c.setPod(a1, '10.0.16.5/32', true);
  c.removePod('x');
  assert.equal(c.claimants(ip('10.0.16.5')).length, 1, 'one claim, not two');
  c.setPod(a1, '10.0.16.5/32', false);
  assert.equal(c.heldElsewhere(ip('10.0.16.5'), 'node-b'), undefined, 'the annotation took over from the reservation');
  c.reserve('10.0.16.7', b1);
  c.dropReservation('b1');
  assert.equal(c.heldElsewhere(ip('10.0.16.7'), 'node-a'), undefined);
});

test('a pod claiming an address both ways keeps it until both claims are gone; removing the pod ends every claim', () => {
  const c = new AddressClaims();
  c.setPod(a1, '10.0.16.5/32', true);
  c.reserve('10.0.16.5', a1);
  c.dropReservation('a1');
  assert.ok(c.heldElsewhere(ip('10.0.16.5'), 'node-b'), 'still annotated with it');
  c.reserve('10.0.16.7', a1);
  assert.equal(c.claimants(ip('10.0.16.5')).length, 1);
  assert.equal(c.claimants(ip('10.0.16.7')).length, 1);
  c.removePod('a1');
  assert.deepEqual([c.claimants(ip('10.0.16.5')), c.claimants(ip('10.0.16.7'))], [[], []]);
});

test('two pods on different nodes carrying one address are both seen', () => {
  const c = new AddressClaims();
  c.setPod(a1, '10.0.16.5/32', true);
  c.setPod(b1, '10.0.16.5/32', true);
  assert.deepEqual(c.claimants(ip('10.0.16.5')).map((x) => x.uid).sort(), ['a1', 'b1']);
  assert.equal(c.heldElsewhere(ip('10.0.16.5'), 'node-a'), 'default/b1 on node node-b');
});

test('three carriers of one address: each update replaces its own record in place, and removals leave the others', () => {
  const c = new AddressClaims();
  const c1 = { uid: 'c1', nodeName: 'node-c', namespace: 'default', name: 'c1' };
  c.setPod(a1, '10.0.16.5/32', true);
  c.setPod(b1, '10.0.16.5/32', true);
  c.reserve('10.0.16.5', c1);
  assert.deepEqual(c.claimants(ip('10.0.16.5')).map((x) => x.uid), ['a1', 'b1', 'c1']);
  const moved = { ...b1, name: 'b1-renamed' };
  c.setPod(moved, '10.0.16.5/32', true);
  assert.deepEqual(c.claimants(ip('10.0.16.5')).map((x) => `${x.namespace}/${x.name}`), ['default/a1', 'default/b1-renamed', 'default/c1'], 'updated where it was');
  c.removePod('a1');
  assert.equal(c.heldElsewhere(ip('10.0.16.5'), 'node-b'), 'default/c1 on node node-c');
  c.dropReservation('c1');
  assert.deepEqual(c.claimants(ip('10.0.16.5')), [moved]);
  assert.equal(c.heldElsewhere(ip('10.0.16.5'), 'node-b'), undefined);
  c.removePod('b1');
  assert.deepEqual(c.claimants(ip('10.0.16.5')), []);
});

test('setPod says when the annotation is the address reserved for the pod: the controller\'s own write, seen back', () => {
  const c = new AddressClaims();
  c.reserve('10.0.16.5', a1);
  assert.equal(c.setPod(a1, undefined, true), false, 'not annotated yet');
  assert.equal(c.setPod(a1, '10.0.16.5/32', true), true);
  assert.equal(c.setPod(a1, '10.0.16.5/32', true), false, 'once: the reservation is done');
  c.reserve('10.0.16.7', b1);
  assert.equal(c.setPod(b1, '10.0.16.8/32', true), false, 'another address: someone else wrote it');
  assert.ok(c.heldElsewhere(ip('10.0.16.7'), 'node-a'), 'and the reservation still holds');
  c.reserve('10.0.16.9', { ...a1, uid: 'a2' });
  c.dropReservation('a2');
  assert.equal(c.setPod({ ...a1, uid: 'a2' }, '10.0.16.9/32', true), false, 'a dropped reservation is not ours any more');
  c.reserve('10.0.16.10', { ...a1, uid: 'a3' });
  assert.equal(c.setPod({ ...a1, uid: 'a3' }, '10.0.16.10/32', false), false, 'a finished pod claims nothing');
});
