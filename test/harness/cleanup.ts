/**
 * @module
 * Last-resort clean-up for child processes and temporary folders, so an interrupted test run or sandbox leaves
 * no etcd or kube-apiserver behind. Each owner registers an async clean-up (used on SIGINT/SIGTERM) and a sync
 * one (used in process 'exit', where nothing async runs). Handlers are installed while anything is registered.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CleanupEntry {
  /** Graceful: stop processes, wait for them, remove folders. */
  async: () => Promise<void>;
  /** On 'exit': SIGKILL the processes and remove folders synchronously. */
  sync: () => void;
}

const entries = new Set<CleanupEntry>();
let installed = false;
let exiting = false;

function onExit(): void {
  for (const e of entries) {
    try {
      e.sync();
    } catch {
      // Exiting anyway; one failed clean-up must not stop the others.
    }
  }
  entries.clear();
}

const SIGNAL_EXIT_CODES: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (exiting) {
    // A second Ctrl-C while the graceful clean-up runs: stop waiting. The 'exit' handler still kills the
    // processes and removes the folders synchronously.
    process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
  }
  exiting = true;
  await Promise.allSettled([...entries].map((e) => e.async()));
  uninstall();
  // Exit as the signal would have, so shells and test runners see the interruption.
  process.kill(process.pid, signal);
}

const sigint = () => void onSignal('SIGINT');
const sigterm = () => void onSignal('SIGTERM');
const sighup = () => void onSignal('SIGHUP');

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  process.on('SIGHUP', sighup);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  process.off('SIGINT', sigint);
  process.off('SIGTERM', sigterm);
  process.off('SIGHUP', sighup);
}

/** Registers a clean-up; returns the function that unregisters it (call it once you cleaned up yourself). */
export function registerCleanup(entry: CleanupEntry): () => void {
  entries.add(entry);
  install();
  return () => {
    entries.delete(entry);
    if (entries.size === 0 && !exiting) uninstall();
  };
}

let scratchDirs: string[] | undefined;

/**
 * A new folder under the temp dir that this process removes when it exits with success. A test file that fails
 * (node:test exits non-zero) keeps its folders and names them on stderr, since a controller's log there is what
 * one reads after a failed test; WINPREFIX_KEEP_SCRATCH=1 keeps them whatever the outcome (a benchmark run with
 * BENCH_LOG_LEVEL=debug, say). Without this, every CI run left ~16 MB of logs and code caches behind.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!scratchDirs) {
    const dirs: string[] = (scratchDirs = []);
    process.once('exit', (code) => {
      if (code !== 0 || process.env.WINPREFIX_KEEP_SCRATCH === '1') {
        process.stderr.write(`kept for reading: ${dirs.join(' ')}\n`);
        return;
      }
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
  }
  scratchDirs.push(dir);
  return dir;
}
