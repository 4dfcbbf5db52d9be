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
    now: () => new Date(),
  },
  'kubectl winprefix',
);
// Exit as soon as the output is written: idle keep-alive sockets and a credential probe still in flight
// must not hold the command open. The empty writes call back once everything before them is flushed.
process.exitCode = code;
await Promise.all([new Promise((r) => process.stdout.write('', r)), new Promise((r) => process.stderr.write('', r))]);
process.exit(code);
