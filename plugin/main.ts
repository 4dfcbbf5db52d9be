/**
 * @module
 * `kubectl winprefix`: parses argv with yargs and runs one command. The only place that turns
 * errors into exit codes; commands throw {@link CliError} or return an exit code.
 */
import yargs, { type Argv } from 'yargs';
import { CliError, ExitCode, type CliIO } from './io.ts';
import { describeCommand } from './describe/command.ts';
import { simulateCommand } from './simulate/command.ts';
import { versionCommand } from './version/command.ts';

/** A subcommand: registers itself on the root parser and reports its exit code through `done`. */
export type CommandRegistrar = (root: Argv, io: CliIO, done: (exitCode: number) => void) => Argv;

const COMMANDS: CommandRegistrar[] = [describeCommand, simulateCommand, versionCommand];

export async function main(argv: string[], io: CliIO, programName = 'kubectl winprefix'): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const done = (code: number) => {
    exitCode = code;
  };
  let root: Argv = yargs(argv)
    .scriptName(programName)
    .usage(`${programName} <command> [options]\n\nExplains and simulates Windows pod IPAM with /28 prefix delegation on AWS.`)
    .strict()
    .demandCommand(1, `Name a command; see "${programName} --help".`)
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new CliError(message, ExitCode.toolError);
    });
  for (const register of COMMANDS) root = register(root, io, done);
  try {
    let helpText = '';
    await root.parseAsync(argv, {}, (_err, _argv, output) => {
      helpText = output;
    });
    if (helpText) io.stdout(helpText.endsWith('\n') ? helpText : `${helpText}\n`);
    return exitCode;
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`error: ${oneLine(err.message)}\n`);
      return err.exitCode;
    }
    io.stderr(`error: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    if (io.env.WINPREFIX_DEBUG) io.stderr(`${(err as Error)?.stack ?? ''}\n`);
    return ExitCode.toolError;
  }
}

/** Errors are one line on stderr (yargs writes some over several, e.g. "Invalid values:\n  Argument: ..."). */
function oneLine(message: string): string {
  return message.trim().replace(/:?\s*\n\s*/g, ': ');
}
