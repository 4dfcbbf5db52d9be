/**
 * @module
 * Finding a program the tests need: a file path given by the environment, or a command on PATH.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A regular file this process may execute (a folder or a file without the x bit is not). */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `command` is on PATH, first match, as a shell would find it; undefined when it is not. */
export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutableFile(join(dir, command))) return join(dir, command);
  }
  return undefined;
}
