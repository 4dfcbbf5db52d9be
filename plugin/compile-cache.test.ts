import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCacheDir, userCacheDir } from './compile-cache.ts';

describe('compile cache folder', () => {
  it('follows each OS convention for per-user caches', () => {
    assert.equal(userCacheDir({}, 'linux', '/home/u'), '/home/u/.cache');
    assert.equal(userCacheDir({ XDG_CACHE_HOME: '/var/cache/u' }, 'linux', '/home/u'), '/var/cache/u');
    assert.equal(userCacheDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Caches');
    assert.equal(userCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Local');
  });

  it('ignores a relative XDG_CACHE_HOME, as the XDG spec requires', () => {
    assert.equal(userCacheDir({ XDG_CACHE_HOME: 'cache' }, 'linux', '/home/u'), '/home/u/.cache');
  });

  it('keeps the plugin in a folder of its own', () => {
    assert.equal(compileCacheDir({}, 'linux', '/home/u'), '/home/u/.cache/winprefix/compile-cache');
  });
});

describe('SEA code cache file', () => {
  it('is one file per payload, Node, architecture and command', async () => {
    const { codeCacheFile } = await import('./sea-loader.ts');
    const base = { cacheRoot: '/home/u/.cache', payloadId: 'abc', nodeVersion: 'v24.21.0', arch: 'x64' };
    assert.equal(codeCacheFile({ ...base, argv: ['describe', 'node', 'n1'] }), '/home/u/.cache/winprefix/sea-code-cache/abc-v24.21.0-x64-describe.bin');
    assert.equal(codeCacheFile({ ...base, argv: ['--kubeconfig', 'k', 'describe', 'node', 'n1'] }), '/home/u/.cache/winprefix/sea-code-cache/abc-v24.21.0-x64-describe.bin');
    assert.equal(codeCacheFile({ ...base, argv: ['simulate', '--pods', '1'] }), '/home/u/.cache/winprefix/sea-code-cache/abc-v24.21.0-x64-simulate.bin');
    assert.equal(codeCacheFile({ ...base, argv: ['--help'] }), '/home/u/.cache/winprefix/sea-code-cache/abc-v24.21.0-x64-other.bin');
  });
});
