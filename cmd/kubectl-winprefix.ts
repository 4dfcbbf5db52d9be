/**
 * Entry point of the kubectl plugin. kubectl runs `kubectl-winprefix` for `kubectl winprefix`,
 * passing every later argument through unchanged.
 *
 * The runtime is checked first (cmd/require-runtime.ts), then the compile cache is enabled before
 * anything else loads, and plugin/main.ts is imported
 * dynamically so that, in the split bundle (scripts/build.ts), its chunks are compiled with the
 * cache on. A static import would be compiled before this module's first line runs.
 */
import './require-runtime.ts';
import { enablePluginCompileCache } from '../plugin/compile-cache.ts';

enablePluginCompileCache();
const { main } = await import('../plugin/main.ts');

const code = await main(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    stdoutColumns: process.stdout.columns,
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutRows: process.stdout.rows,
    onStop(handler) {
      let stopped = false;
      const stop = (why: string) => {
        if (stopped) return;
        stopped = true;
        handler(why);
      };
      const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
      const bySignal = signals.map((signal) => [signal, () => stop(signal)] as const);
      for (const [signal, on] of bySignal) process.on(signal, on);
      // `| head` closes the pipe: writes then fail with EPIPE, which is the reader saying it has seen enough.
      const onError = (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? stop('EPIPE') : undefined);
      process.stdout.on('error', onError);
      return () => {
        for (const [signal, on] of bySignal) process.off(signal, on);
        process.stdout.off('error', onError);
      };
    },
    onResize(handler) {
      const on = () => handler({ columns: process.stdout.columns, rows: process.stdout.rows });
      process.stdout.on('resize', on);
      return () => process.stdout.off('resize', on);
    },
    now: () => new Date(),
  },
  'kubectl winprefix',
);
// Exit as soon as the output is written: idle keep-alive sockets and a credential probe still in flight
// must not hold the command open. The empty writes call back once everything before them is flushed.
process.exitCode = code;
// A reader that went away (`| head`) has all it wanted: a failed final write is no error.
process.stdout.on('error', () => {});
await Promise.all([new Promise((r) => process.stdout.write('', r)), new Promise((r) => process.stderr.write('', r))]);
process.exit(code);
