/**
 * Entry point of the kubectl plugin. kubectl runs `kubectl-winprefix` for `kubectl winprefix`,
 * passing every later argument through unchanged.
 */
import { main } from '../plugin/main.ts';

process.exitCode = await main(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    now: () => new Date(),
  },
  'kubectl winprefix',
);
