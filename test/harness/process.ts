/**
 * @module
 * A long-running child process (etcd, kube-apiserver, the controller) whose output goes to a log file, with a
 * stop that escalates from SIGTERM to SIGKILL and a way to read the log's tail for error messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  logPath: string;
  /** Resolves with the exit code (or 128+signal) when the process ends, whoever ended it. */
  exited: Promise<number>;
  /** True once the process has ended. */
  hasExited(): boolean;
  /** Why it could not be started (e.g. ENOENT, EACCES), if it could not. */
  spawnError(): Error | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. Safe to call more than once. */
  stop(graceMs?: number): Promise<void>;
  /** Synchronous SIGKILL, for process 'exit' handlers. */
  killNow(): void;
  /** The last `lines` lines of its log. */
  tail(lines?: number): string;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  logPath: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function tailOfFile(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(no log at ${path}: ${(err as Error).message})`;
  }
}

export function spawnLogged(opts: SpawnOptions): ManagedProcess {
  const fd = openSync(opts.logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.command, opts.args, {
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
  let ended = false;
  let startError: Error | undefined;
  const exited = new Promise<number>((ok) => {
    child.on('error', (err) => {
      ended = true;
      startError = err;
      ok(127);
    });
    child.on('exit', (code, signal) => {
      ended = true;
      ok(code ?? 128 + (SIGNAL_NUMBERS[signal ?? ''] ?? 0));
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    name: opts.name,
    child,
    pid: child.pid ?? -1,
    logPath: opts.logPath,
    exited,
    hasExited: () => ended,
    spawnError: () => startError,
    stop(graceMs = 5_000) {
      stopping ??= (async () => {
        if (ended) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
    killNow() {
      if (!ended) child.kill('SIGKILL');
    },
    tail: (lines = 40) => tailOfFile(opts.logPath, lines),
  };
}
