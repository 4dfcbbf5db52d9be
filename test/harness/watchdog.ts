/**
 * @module
 * A watchdog for the case no in-process clean-up can handle: the Node process is killed with SIGKILL (or
 * crashes hard), so 'exit' and signal handlers never run. A tiny detached shell polls the parent once a second
 * and, when it is gone, kills the given processes and removes the folder. stop() disarms it.
 */
import { spawn } from 'node:child_process';

const SCRIPT = `
parent=$1; dir=$2; shift 2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
kill -9 "$@" 2>/dev/null
if [ -n "$dir" ]; then rm -rf -- "$dir"; fi
`;

export interface Watchdog {
  /** Stops watching (call after a normal clean-up, so no pid that the kernel may reuse is ever signalled). */
  disarm(): void;
}

export function startWatchdog(o: { pids: number[]; dir?: string }): Watchdog {
  // Only real child pids: `kill -9 -1` or `kill -9 0` would hit every process we may signal.
  const pids = o.pids.filter((pid) => Number.isInteger(pid) && pid > 1);
  const child = spawn('sh', ['-c', SCRIPT, 'winprefix-watchdog', String(process.pid), o.dir ?? '', ...pids.map(String)], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  // A failure to start the watchdog only loses the SIGKILL safety net; the normal clean-up still works.
  child.on('error', () => {});
  return {
    disarm() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
