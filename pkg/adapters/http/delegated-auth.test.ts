/**
 * The decision logic and its caches against a recording reviewer (the API server's two reviews are
 * the one faked boundary; test/controller/metrics.test.ts runs the real ones).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../support/log.ts';
import { bearerToken, createDelegatedAuth, MAX_TOKEN_LENGTH, type AccessReviewer, type ReviewedUser } from './delegated-auth.ts';

const PROMETHEUS: ReviewedUser = { username: 'system:serviceaccount:monitoring:prometheus', uid: 'u-1', groups: ['system:serviceaccounts'], extra: {} };
const NOBODY: ReviewedUser = { username: 'system:serviceaccount:default:nobody', groups: ['system:serviceaccounts'], extra: {} };

function setup(o: { failTokenReview?: boolean } = {}) {
  let now = 0;
  const calls = { token: 0, access: [] as Array<{ user: string; verb: string; path: string }> };
  const allowed = new Set([PROMETHEUS.username]);
  const reviewer: AccessReviewer = {
    async reviewToken(token) {
      calls.token++;
      if (o.failTokenReview) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      if (token === 'prom-token') return { authenticated: true, user: PROMETHEUS };
      if (token === 'nobody-token') return { authenticated: true, user: NOBODY };
      return { authenticated: false, reason: 'invalid bearer token' };
    },
    async reviewAccess(user, request) {
      calls.access.push({ user: user.username, ...request });
      return allowed.has(user.username) && request.verb === 'get' && request.path === '/metrics' ? { allowed: true, reason: 'RBAC: allowed' } : { allowed: false, reason: '' };
    },
  };
  const auth = createDelegatedAuth({ reviewer, now: () => now, log: silentLogger, readerRole: 'winprefix-metrics-reader' });
  const get = (authorization: string | undefined, o2: { method?: string; path?: string } = {}) => auth.check({ method: o2.method ?? 'GET', path: o2.path ?? '/metrics', authorization });
  return { auth, get, calls, allowed, advance: (ms: number) => (now += ms) };
}

test('401 without a token or with one the API server rejects; 403 for a user RBAC does not allow; ok for a reader', async () => {
  const s = setup();
  const none = await s.get(undefined);
  assert.equal(none.ok, false);
  assert.equal(!none.ok && none.status, 401);
  assert.equal(!none.ok && none.headers?.['www-authenticate'], 'Bearer realm="winprefix-metrics"');
  assert.match(!none.ok ? none.body : '', /no bearer token.*ClusterRole winprefix-metrics-reader/);
  assert.equal(s.calls.token, 0, 'no API call without a token');

  const bad = await s.get('Bearer garbage');
  assert.equal(!bad.ok && bad.status, 401);
  assert.match(!bad.ok ? bad.body : '', /did not accept the bearer token \(invalid bearer token\)/);

  const denied = await s.get('Bearer nobody-token');
  assert.equal(!denied.ok && denied.status, 403);
  assert.match(!denied.ok ? denied.body : '', /user "system:serviceaccount:default:nobody" may not get \/metrics; bind it to ClusterRole winprefix-metrics-reader/);

  assert.deepEqual(await s.get('Bearer prom-token'), { ok: true, user: PROMETHEUS.username });
  assert.deepEqual(s.calls.access.at(-1), { user: PROMETHEUS.username, verb: 'get', path: '/metrics' });
});

test('a scrape every 15 s costs one TokenReview and one SubjectAccessReview a minute', async () => {
  const s = setup();
  for (let i = 0; i < 4; i++) {
    assert.equal((await s.get('Bearer prom-token')).ok, true);
    s.advance(15_000);
  }
  assert.equal(s.calls.token, 1);
  assert.equal(s.calls.access.length, 1);
  // Past the minute both are asked again.
  assert.equal((await s.get('Bearer prom-token')).ok, true);
  assert.equal(s.calls.token, 2);
  assert.equal(s.calls.access.length, 2);
});

test('denials are cached for less time, so a new RoleBinding takes effect within seconds', async () => {
  const s = setup();
  assert.equal((await s.get('Bearer nobody-token')).ok, false);
  s.allowed.add(NOBODY.username);
  s.advance(5_000);
  assert.equal((await s.get('Bearer nobody-token')).ok, false, 'still the cached denial');
  s.advance(5_000);
  assert.equal((await s.get('Bearer nobody-token')).ok, true);
  // One TokenReview for nobody's token (accepted, so trusted for a minute) and one for the garbage
  // sent twice within 10 s.
  await s.get('Bearer garbage');
  await s.get('Bearer garbage');
  assert.equal(s.calls.token, 2);
});

test('concurrent requests with one token share one review', async () => {
  const s = setup();
  const results = await Promise.all(Array.from({ length: 20 }, () => s.get('Bearer prom-token')));
  assert.ok(results.every((r) => r.ok));
  assert.equal(s.calls.token, 1);
  assert.equal(s.calls.access.length, 1);
});

test('the API server unreachable: 503, nothing cached, so the next scrape asks again', async () => {
  const s = setup({ failTokenReview: true });
  const r = await s.get('Bearer prom-token');
  assert.equal(!r.ok && r.status, 503);
  assert.match(!r.ok ? r.body : '', /TokenReview failed: connect ECONNREFUSED/);
  await s.get('Bearer prom-token');
  assert.equal(s.calls.token, 2);
});

test('verbs and paths reach the SubjectAccessReview as RBAC spells them; HEAD counts as get', async () => {
  const s = setup();
  assert.equal((await s.get('Bearer prom-token', { method: 'HEAD' })).ok, true);
  const other = await s.get('Bearer prom-token', { path: '/debug' });
  assert.equal(!other.ok && other.status, 403);
  assert.deepEqual(s.calls.access.map((c) => `${c.verb} ${c.path}`), ['get /metrics', 'get /debug']);
});

test('an oversized token is refused without an API call; the header parser follows RFC 6750', async () => {
  const s = setup();
  const r = await s.get(`Bearer ${'x'.repeat(MAX_TOKEN_LENGTH + 1)}`);
  assert.equal(!r.ok && r.status, 401);
  assert.equal(s.calls.token, 0);
  assert.equal(bearerToken('bearer abc'), 'abc');
  assert.equal(bearerToken('Bearer  abc '), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearer'), undefined);
  assert.equal(bearerToken('Bearer a b'), undefined);
});

test('many distinct tokens keep the caches bounded', async () => {
  let calls = 0;
  const auth = createDelegatedAuth({
    reviewer: {
      reviewToken: async () => (calls++, { authenticated: false, reason: 'invalid' }),
      reviewAccess: async () => ({ allowed: false, reason: '' }),
    },
    now: () => 0,
    log: silentLogger,
    readerRole: 'r',
    maxEntries: 8,
  });
  for (let i = 0; i < 100; i++) await auth.check({ method: 'GET', path: '/metrics', authorization: `Bearer t${i}` });
  // The first tokens were evicted: asking again costs a call; the latest eight are still cached.
  await auth.check({ method: 'GET', path: '/metrics', authorization: 'Bearer t0' });
  await auth.check({ method: 'GET', path: '/metrics', authorization: 'Bearer t99' });
  assert.equal(calls, 101);
});
