import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBindAddress, isLoopbackHost } from './bind-address.ts';

test('bind addresses: host and port, every interface, IPv6, and 0 for off', () => {
  assert.deepEqual(parseBindAddress('127.0.0.1:8080', '--f'), { host: '127.0.0.1', port: 8080, loopback: true, text: '127.0.0.1:8080' });
  assert.deepEqual(parseBindAddress(':8443', '--f'), { host: undefined, port: 8443, loopback: false, text: ':8443' });
  assert.deepEqual(parseBindAddress('[::1]:9', '--f'), { host: '::1', port: 9, loopback: true, text: '[::1]:9' });
  assert.deepEqual(parseBindAddress('[::]:9', '--f'), { host: '::', port: 9, loopback: false, text: '[::]:9' });
  assert.deepEqual(parseBindAddress('0.0.0.0:8081', '--f')?.loopback, false);
  assert.deepEqual(parseBindAddress('10.1.2.3:8081', '--f')?.loopback, false);
  assert.deepEqual(parseBindAddress('localhost:8081', '--f')?.loopback, true);
  assert.equal(parseBindAddress('0', '--f'), undefined);
});

test('a malformed bind address names the flag and the forms to use', () => {
  for (const [text, why] of [
    ['8080', /not an address with a port/],
    ['127.0.0.1', /not an address with a port/],
    ['127.0.0.1:0', /port 0 is not from 1 to 65535/],
    ['127.0.0.1:70000', /port 70000/],
    ['::1:8080', /not an address with a port/],
    ['', /not an address with a port/],
  ] as const) {
    assert.throws(() => parseBindAddress(text, '--metrics-bind-address'), (err: Error) => {
      assert.match(err.message, /^--metrics-bind-address /);
      assert.match(err.message, why);
      assert.match(err.message, /HOST:PORT .*:PORT for every interface.*0 to turn it off/);
      return true;
    });
  }
});

test('loopback hosts', () => {
  for (const h of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', 'LOCALHOST']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '10.0.0.1', '127.0.0', '127.0.0.256', 'example.com', '::']) assert.ok(!isLoopbackHost(h), h);
});
