/**
 * @module
 * One control plane per test file, shared by its tests (as controller-runtime suites do with BeforeSuite):
 * start-up costs seconds, each test should cost milliseconds. Call useControlPlane() at the top level of a
 * test file; the returned getter gives the running plane inside tests.
 */
import { after, before } from 'node:test';
import { startControlPlane, type ControlPlane } from './control-plane.ts';

export function useControlPlane(): () => ControlPlane {
  let plane: ControlPlane | undefined;
  before(async () => {
    plane = await startControlPlane({ log: (line) => process.stderr.write(`${line}\n`) });
  }, { timeout: 20 * 60_000 /* the first run on a machine may build the binaries */ });
  after(async () => {
    await plane?.stop();
  });
  return () => {
    if (!plane) throw new Error('the control plane is not running: call useControlPlane() at the top level of the test file and use the getter inside tests');
    return plane;
  };
}
