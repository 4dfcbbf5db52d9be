/**
 * The Manager's declared order, with components that record what happens to them, a scripted leader
 * election (the one faked boundary; test/controller/*.test.ts runs the real one through dist/controller.js)
 * and a ManualClock for the takeover delay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../support/clock.ts';
import { fenceOf, type WriteFence } from '../support/fence.ts';
import { silentLogger } from '../support/log.ts';
import { aborted, Manager, type Elect, type Runnable } from './manager.ts';

const turn = () => new Promise<void>((ok) => setImmediate(ok));
async function until(what: string, cond: () => boolean, turns = 1_000) {
  for (let i = 0; !cond(); i++) {
    if (i >= turns) throw new Error(`${what}: not reached`);
    await turn();
  }
}

/** Components that write "start X", "stop X" (and, for leader components, whether writes were allowed) to `events`. */
function recorder() {
  const events: string[] = [];
  const fences = new Map<string, WriteFence>();
  const component = (name: string, needsLeaderElection: boolean, o: { failStart?: boolean; stopping?: Promise<void>; crash?: Promise<void> } = {}): Runnable => ({
    name,
    needsLeaderElection,
    async start(signal, ctx) {
      if (o.failStart) throw new Error(`${name} cannot bind`);
      fences.set(name, ctx.fence);
      events.push(`start ${name}`);
      ctx.up();
      const crashed = await Promise.race([aborted(signal).then(() => false), (o.crash ?? new Promise<void>(() => {})).then(() => true)]);
      if (crashed) {
        events.push(`crash ${name}`);
        throw new Error(`${name} crashed`);
      }
      await o.stopping;
      events.push(`stop ${name}`);
    },
  });
  return { events, fences, component };
}

/** A leader election the test drives: grant, lose, and what happened around beforeRelease. */
function scriptedElection(events: string[]) {
  let grant: (fenceOpen: () => boolean) => void = () => {};
  let lose: () => void = () => {};
  const state = { campaigning: false };
  const elect: Elect = async (hooks) => {
    state.campaigning = true;
    const leadership = new AbortController();
    const granted = new Promise<() => boolean>((ok) => (grant = ok));
    const lost = new Promise<void>((ok) => (lose = ok));
    const first = await Promise.race([granted, aborted(hooks.signal).then(() => undefined)]);
    if (!first) return;
    events.push('leading');
    hooks.onStartedLeading(leadership.signal, fenceOf(first));
    await Promise.race([lost, aborted(hooks.signal)]);
    leadership.abort();
    events.push('stepping down');
    await hooks.beforeRelease();
    events.push('lease released');
    hooks.onStoppedLeading();
  };
  return {
    elect,
    /** Whether the manager has started the election (after every replica's components are up). */
    campaigning: () => state.campaigning,
    grant: (open = () => true) => grant(open),
    lose: () => lose(),
  };
}

test('every replica starts its components in the declared order, leads later, and stops it all in reverse; the Lease goes only after the leader drained', async () => {
  const r = recorder();
  const clock = new ManualClock();
  const election = scriptedElection(r.events);
  const leadership: boolean[] = [];
  const m = new Manager({ log: silentLogger, clock, elect: election.elect, takeoverDelayMs: 5_000, onLeadership: (l) => leadership.push(l) });
  m.add(r.component('connections', false))
    .add(r.component('cache', false))
    .add(r.component('flush', true))
    .add(r.component('webhooks', false))
    .add(r.component('reconcilers', true));
  const stop = new AbortController();
  const run = m.run(stop.signal);
  await until('every replica is up', () => election.campaigning());
  assert.deepEqual(r.events, ['start connections', 'start cache', 'start webhooks'], 'components that need no Lease, in order; none of the leader\'s');
  assert.equal(m.fence.allowed(), false, 'no write before leading');

  election.grant();
  await until('leading', () => r.events.includes('leading'));
  assert.equal(m.fence.allowed(), true, 'the process fence is the leader\'s');
  assert.deepEqual(leadership, [true]);
  await turn();
  assert.ok(!r.events.includes('start flush'), 'the takeover delay holds the leader\'s components back');
  clock.advance(4_999);
  await turn();
  assert.ok(!r.events.includes('start flush'));
  clock.advance(1);
  await until('leader components', () => r.events.includes('start reconcilers'));
  assert.equal(r.fences.get('reconcilers')!.allowed(), true);

  stop.abort();
  assert.equal(await run, 'stopped');
  assert.deepEqual(r.events, [
    'start connections', 'start cache', 'start webhooks',
    'leading', 'start flush', 'start reconcilers',
    'stepping down', 'stop reconcilers', 'stop flush', 'lease released',
    'stop webhooks', 'stop cache', 'stop connections',
  ]);
  assert.deepEqual(leadership, [true, false]);
});

test('a lost Lease stops the leader\'s components before the release and ends the run as lost-leadership', async () => {
  const r = recorder();
  const election = scriptedElection(r.events);
  let slowStop: () => void = () => {};
  const m = new Manager({ log: silentLogger, clock: new ManualClock(), elect: election.elect, takeoverDelayMs: 0 });
  m.add(r.component('cache', false)).add(r.component('reconcilers', true, { stopping: new Promise((ok) => (slowStop = ok)) }));
  const run = m.run(new AbortController().signal);
  await until('campaigning', () => election.campaigning());
  let open = true;
  election.grant(() => open);
  await until('reconcilers', () => r.events.includes('start reconcilers'));
  open = false; // the Lease lapsed: the fence the reconcilers were given refuses at once
  assert.equal(r.fences.get('reconcilers')!.allowed(), false);
  assert.equal(m.fence.allowed(), false);
  election.lose();
  await until('stepping down', () => r.events.includes('stepping down'));
  await turn();
  assert.ok(!r.events.includes('lease released'), 'the Lease waits for the drain');
  slowStop();
  assert.equal(await run, 'lost-leadership');
  assert.deepEqual(r.events.slice(-4), ['stepping down', 'stop reconcilers', 'lease released', 'stop cache']);
});

test('stopped during the takeover delay: the leader\'s components never start', async () => {
  const r = recorder();
  const election = scriptedElection(r.events);
  const m = new Manager({ log: silentLogger, clock: new ManualClock(), elect: election.elect, takeoverDelayMs: 5_000 });
  m.add(r.component('cache', false)).add(r.component('reconcilers', true));
  const stop = new AbortController();
  const run = m.run(stop.signal);
  await until('campaigning', () => election.campaigning());
  election.grant();
  await until('leading', () => r.events.includes('leading'));
  stop.abort();
  assert.equal(await run, 'stopped');
  assert.deepEqual(r.events, ['start cache', 'leading', 'stepping down', 'lease released', 'stop cache']);
});

test('without leader election the replica leads at once, unfenced, until stopped', async () => {
  const r = recorder();
  const m = new Manager({ log: silentLogger, clock: new ManualClock(), elect: undefined, takeoverDelayMs: 0 });
  m.add(r.component('cache', false)).add(r.component('reconcilers', true));
  assert.equal(m.fence.allowed(), true);
  const stop = new AbortController();
  const run = m.run(stop.signal);
  await until('reconcilers', () => r.events.includes('start reconcilers'));
  stop.abort();
  assert.equal(await run, 'stopped');
  assert.deepEqual(r.events, ['start cache', 'start reconcilers', 'stop reconcilers', 'stop cache']);
});

test('a component that cannot start fails the run, after stopping those already started', async () => {
  const r = recorder();
  const m = new Manager({ log: silentLogger, clock: new ManualClock(), elect: undefined, takeoverDelayMs: 0 });
  m.add(r.component('cache', false)).add(r.component('webhooks', false, { failStart: true })).add(r.component('metrics', false));
  await assert.rejects(m.run(new AbortController().signal), /webhooks cannot bind/);
  assert.deepEqual(r.events, ['start cache', 'stop cache']);
});

test('a leader whose component cannot start gives the Lease up after stopping the others, and the run rejects with why', async () => {
  const r = recorder();
  const election = scriptedElection(r.events);
  const m = new Manager({ log: silentLogger, clock: new ManualClock(), elect: election.elect, takeoverDelayMs: 0 });
  m.add(r.component('cache', false)).add(r.component('events', true)).add(r.component('reconcilers', true, { failStart: true }));
  const run = m.run(new AbortController().signal);
  await until('campaigning', () => election.campaigning());
  election.grant();
  await assert.rejects(run, /reconcilers cannot bind/);
  assert.deepEqual(r.events, ['start cache', 'leading', 'start events', 'stepping down', 'stop events', 'lease released', 'stop cache'], 'events stopped before the Lease went');
});

test('a leader component that crashes once up ends the leadership the same way', async () => {
  const r = recorder();
  const election = scriptedElection(r.events);
  let crash: () => void = () => {};
  const m = new Manager({ log: silentLogger, clock: new ManualClock(), elect: election.elect, takeoverDelayMs: 0 });
  m.add(r.component('cache', false)).add(r.component('reconcilers', true, { crash: new Promise<void>((ok) => (crash = ok)) }));
  const run = m.run(new AbortController().signal);
  await until('campaigning', () => election.campaigning());
  election.grant();
  await until('reconcilers', () => r.events.includes('start reconcilers'));
  crash();
  await assert.rejects(run, /reconcilers crashed/);
  assert.deepEqual(r.events, ['start cache', 'leading', 'start reconcilers', 'crash reconcilers', 'stepping down', 'lease released', 'stop cache']);
});
