/**
 * @module
 * Imported first by every entry point in cmd/: on a runtime the bundles do not support, print one line
 * and exit 2 before any dependency loads. ES modules run in import order (esbuild keeps it), so nothing
 * imported after this has run yet; on Node 20 undici would otherwise die at load with
 * "Cannot read properties of undefined (reading 'bind')". It imports only pkg/support/build-info.ts.
 */
import { buildInfo, currentRuntime, runtimeProblem } from '../pkg/support/build-info.ts';

const problem = runtimeProblem(currentRuntime(), buildInfo().minNode);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(2);
}
