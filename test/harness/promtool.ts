/**
 * @module
 * `promtool`, Prometheus's own checker, for the tests that hold our /metrics output and the Grafana
 * dashboard's queries to what a real Prometheus accepts. Lookup order, first hit wins:
 *   1. PROMTOOL (a file path)
 *   2. `promtool` on PATH
 *   3. the cache: $WINPREFIX_CACHE_DIR or ${XDG_CACHE_HOME:-~/.cache}/winprefix, then promtool/promtool
 *   4. Debian's `prometheus` package: `apt-get download` (19 MB, seconds), then only usr/bin/promtool is
 *      unpacked into the cache with `dpkg-deb -x`. The package is not installed: its postinst would add
 *      a system user and start a Prometheus server; the tests need only the checker. When apt has no
 *      package lists yet (a fresh machine) and we are root, `apt-get update` runs first.
 * When none of this works (not Debian, no network) the answer says why, and the tests skip saying so.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isExecutableFile, onPath } from './executables.ts';

const run = promisify(execFile);

export type PromtoolLookup = { path: string; version: string; source: string } | { skip: string };

export function promtoolCachePath(): string {
  const root = process.env.WINPREFIX_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'winprefix');
  return join(root, 'promtool', 'promtool');
}

async function versionOf(path: string): Promise<string> {
  const { stdout, stderr } = await run(path, ['--version'], { timeout: 30_000 });
  return (stdout || stderr).split('\n')[0]!.trim();
}

function message(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).split('\n').slice(-3).join(' ');
}

/** Downloads Debian's prometheus package and unpacks promtool into the cache. */
async function fromDebian(log: (line: string) => void): Promise<PromtoolLookup> {
  if (!onPath('apt-get') || !onPath('dpkg-deb')) return { skip: 'promtool is not installed and this machine has no apt-get/dpkg-deb to fetch Debian\'s prometheus package; install promtool or set PROMTOOL to its path' };
  const work = mkdtempSync(join(tmpdir(), 'winprefix-promtool-'));
  try {
    const download = () => run('apt-get', ['download', '-q', 'prometheus'], { cwd: work, timeout: 300_000 });
    log(`[promtool] fetching Debian's prometheus package (about 19 MB) to unpack promtool into ${promtoolCachePath()} (first time only)`);
    try {
      await download();
    } catch (first) {
      // A fresh machine may have no package lists yet; only root can fetch them.
      if (process.getuid?.() !== 0) return { skip: `apt-get download prometheus failed (${message(first)}) and only root can run apt-get update; install promtool or set PROMTOOL` };
      log('[promtool] apt-get download failed; running apt-get update once and retrying');
      try {
        await run('apt-get', ['update', '-q'], { timeout: 300_000 });
        await download();
      } catch (second) {
        return { skip: `cannot fetch Debian's prometheus package for promtool (no network to the Debian mirror?): ${message(second)}; install promtool or set PROMTOOL` };
      }
    }
    const deb = (await run('sh', ['-c', 'ls prometheus_*.deb'], { cwd: work })).stdout.trim().split('\n')[0]!;
    await run('dpkg-deb', ['-x', join(work, deb), join(work, 'root')], { timeout: 120_000 });
    const target = promtoolCachePath();
    mkdirSync(join(target, '..'), { recursive: true });
    // Copy next to the target, then rename: a test file running this at the same time never sees half a binary.
    const staging = `${target}.${process.pid}`;
    copyFileSync(join(work, 'root', 'usr', 'bin', 'promtool'), staging);
    renameSync(staging, target);
    const version = await versionOf(target);
    log(`[promtool] ${version} from ${deb}`);
    return { path: target, version, source: deb };
  } catch (err) {
    return { skip: `unpacking promtool from Debian's prometheus package failed: ${message(err)}; install promtool or set PROMTOOL` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

let memo: Promise<PromtoolLookup> | undefined;

/** promtool, found or fetched (once per process); a `skip` says why there is none. */
export function resolvePromtool(o: { log?: (line: string) => void } = {}): Promise<PromtoolLookup> {
  memo ??= (async (): Promise<PromtoolLookup> => {
    const log = o.log ?? (() => {});
    const override = process.env.PROMTOOL;
    if (override) {
      if (!isExecutableFile(override)) throw new Error(`PROMTOOL=${override} is not an executable file; point it at promtool or unset it`);
      return { path: override, version: await versionOf(override), source: 'PROMTOOL' };
    }
    const candidates: Array<[string | undefined, string]> = [[onPath('promtool'), 'PATH'], [promtoolCachePath(), 'cache']];
    for (const [path, source] of candidates) {
      if (!path || !isExecutableFile(path)) continue;
      try {
        return { path, version: await versionOf(path), source };
      } catch {
        // A broken file in the cache is replaced below.
      }
    }
    return fromDebian(log);
  })();
  return memo;
}

/** `promtool check metrics` over `text`: its exit code and what it said (problems, one per line). */
export async function promtoolCheckMetrics(promtool: string, text: string): Promise<{ code: number; output: string }> {
  return promtoolStdin(promtool, ['check', 'metrics'], text);
}

/** Runs promtool with `input` on stdin. */
export function promtoolStdin(promtool: string, args: string[], input: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(promtool, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | undefined) : 0;
      if (err && typeof code !== 'number') return reject(err);
      resolve({ code: code ?? 0, output: `${stdout}${stderr}`.trim() });
    });
    child.stdin!.end(input);
  });
}
