/**
 * @module
 * `kubectl winprefix version`: the release, the commit it was built from and the runtime, as text or JSON.
 */
import { buildInfo, runtimeDescription, versionText } from '../../pkg/support/build-info.ts';
import { lastValue, type CommandSpec } from '../cli.ts';
import { CliError, ExitCode } from '../io.ts';

export const versionCommand: CommandSpec = {
  path: ['version'],
  summary: 'Print the version, the commit it was built from and the runtime',
  positionals: [],
  flags: { output: { alias: 'o', type: 'string', default: 'text', describe: 'text | json' } },
  async run(args, io) {
    const output = lastValue(args.values, 'output') ?? 'text';
    if (output !== 'text' && output !== 'json') {
      throw new CliError(`-o/--output: "${output}" is not one of text, json`, undefined, { hint: "See 'kubectl winprefix version --help' for usage." });
    }
    const { version, commit } = buildInfo();
    const runtime = runtimeDescription();
    io.stdout(output === 'json' ? `${JSON.stringify({ version, commit, runtime }, null, 2)}\n` : versionText(buildInfo(), runtime));
    return ExitCode.ok;
  },
};
