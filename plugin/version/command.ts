/**
 * @module
 * `kubectl winprefix version`: the release, the commit it was built from and the runtime, as text or JSON.
 */
import { buildInfo, runtimeDescription, versionText } from '../../pkg/support/build-info.ts';
import { CliError, ExitCode } from '../io.ts';
import type { CommandRegistrar } from '../main.ts';

export const versionCommand: CommandRegistrar = (root, io, done) =>
  root.command(
    'version',
    'Print the version, the commit it was built from and the runtime',
    (y) => y.option('output', { alias: 'o', type: 'string', default: 'text', describe: 'text | json' }),
    (argv) => {
      const output = argv.output;
      if (output !== 'text' && output !== 'json') throw new CliError(`-o/--output: "${String(output)}" is not one of text, json`);
      const { version, commit } = buildInfo();
      const runtime = runtimeDescription();
      io.stdout(output === 'json' ? `${JSON.stringify({ version, commit, runtime }, null, 2)}\n` : versionText(buildInfo(), runtime));
      done(ExitCode.ok);
    },
  );
