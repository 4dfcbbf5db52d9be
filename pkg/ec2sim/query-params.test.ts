import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QueryParams, matchesFilters, paginate } from './query-params.ts';
import { SimError } from './sim-error.ts';

const params = (text: string) => new QueryParams(new URLSearchParams(text));

describe('QueryParams', () => {
  test('lists come back in index order, whatever the body order', () => {
    assert.deepEqual(params('X.2=b&X.10=c&X.1=a').list('X'), ['a', 'b', 'c']);
    assert.throws(() => params('X.0=a').list('X'), (e: unknown) => e instanceof SimError && e.code === 'InvalidParameterValue');
  });

  test('filters: names, values, unknown names', () => {
    const f = params('Filter.2.Name=vpc-id&Filter.2.Value.1=v&Filter.1.Name=subnet-id&Filter.1.Value.2=s2&Filter.1.Value.1=s1').filters(['subnet-id', 'vpc-id']);
    assert.deepEqual(f.map((x) => x.name), ['subnet-id', 'vpc-id']);
    assert.deepEqual(f[0]!.values.sort(), ['s1', 's2']);
    assert.throws(() => params('Filter.1.Name=tag:x&Filter.1.Value.1=y').filters(['subnet-id']), { code: 'InvalidParameterValue' });
    assert.throws(() => params('Filter.1.Value.1=y').filters(['subnet-id']), { code: 'MissingParameter' });
  });

  test('integers are checked against their range', () => {
    assert.equal(params('MaxResults=5').integer('MaxResults', { min: 5, max: 1000 }), 5);
    assert.throws(() => params('MaxResults=4').integer('MaxResults', { min: 5, max: 1000 }), /MaxResults is invalid. It must be between 5 and 1000/);
    assert.throws(() => params('MaxResults=ten').integer('MaxResults'), { code: 'InvalidParameterValue' });
  });
});

describe('matchesFilters', () => {
  const field = (name: string) => ({ 'subnet-id': 'subnet-0a1b', 'vpc-id': 'vpc-1' })[name];
  test('ORs values, ANDs filters, supports * and ? wildcards', () => {
    assert.ok(matchesFilters([{ name: 'subnet-id', values: ['x', 'subnet-0a1b'] }], field));
    assert.ok(!matchesFilters([{ name: 'subnet-id', values: ['subnet-0a1b'] }, { name: 'vpc-id', values: ['vpc-2'] }], field));
    assert.ok(matchesFilters([{ name: 'subnet-id', values: ['subnet-*'] }], field));
    assert.ok(matchesFilters([{ name: 'subnet-id', values: ['subnet-0a1?'] }], field));
    assert.ok(!matchesFilters([{ name: 'subnet-id', values: ['subnet-0a1?x'] }], field));
    assert.ok(!matchesFilters([{ name: 'subnet-id', values: ['subnet.0a1b'] }], field), 'a dot is literal, not a regex wildcard');
  });
});

describe('paginate', () => {
  test('walks every item once and binds tokens to the request', () => {
    const items = Array.from({ length: 12 }, (_, i) => i);
    const seen: number[] = [];
    let token: string | undefined;
    do {
      const { page, nextToken } = paginate(items, { maxResults: 5, nextToken: token, requestKey: 'k' });
      seen.push(...page);
      token = nextToken;
    } while (token);
    assert.deepEqual(seen, items);
    const first = paginate(items, { maxResults: 5, nextToken: undefined, requestKey: 'k' });
    assert.throws(() => paginate(items, { maxResults: 5, nextToken: first.nextToken, requestKey: 'other' }), { code: 'InvalidPaginationToken' });
  });
});
