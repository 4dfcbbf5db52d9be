/**
 * @module
 * `kubectl winprefix`: finds the command, reads its command line (plugin/cli.ts) and runs it. The only
 * place that turns errors into exit codes and stderr lines; commands throw {@link CliError} or return an
 * exit code. `--help` (and no command at all) is rendered by yargs, loaded only then (plugin/help.ts).
 */
import { findCommand, parseCommandLine, type CommandSpec } from './cli.ts';
import { checkCommand } from './check/command.ts';
import { describeNodeCommand } from './describe/command.ts';
import { getNodesCommand } from './get-nodes/command.ts';
import { CliError, ExitCode, type CliIO } from './io.ts';
import { migrateCommand } from './migrate/command.ts';
import { simulateCommand } from './simulate/command.ts';
import { subnetsCommand } from './subnets/command.ts';
import { mark } from './timing.ts';
import { versionCommand } from './version/command.ts';
import { whyPodCommand } from './why-pod/command.ts';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [describeNodeCommand, getNodesCommand, checkCommand, whyPodCommand, subnetsCommand, migrateCommand, simulateCommand, versionCommand];

export async function main(argv: string[], io: CliIO, programName = 'kubectl winprefix'): Promise<number> {
  try {
    const wantsHelp = argv.includes('--help') || argv.includes('-h');
    const found = findCommand(argv, COMMANDS);
    if (wantsHelp || argv.length === 0) {
      const { helpText } = await import('./help.ts');
      io.stdout(await helpText(argv, COMMANDS, io, programName));
      return ExitCode.ok;
    }
    if (!found) throw unknownCommand(argv, programName);
    const parsed = parseCommandLine(argv, found.consumed, found.spec, programName);
    mark(`${found.spec.path.join(' ')}: command line read`);
    return await found.spec.run(parsed, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`error: ${oneLine(err.message)}\n${err.hint ? `${err.hint}\n` : ''}`);
      return err.exitCode;
    }
    io.stderr(`error: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    if (io.env.WINPREFIX_DEBUG) io.stderr(`${(err as Error)?.stack ?? ''}\n`);
    return ExitCode.toolError;
  }
}

/** `describe` without `node`, a typo, or a flag before any command: say what exists, as kubectl does. */
function unknownCommand(argv: readonly string[], programName: string): CliError {
  const first = argv[0] ?? '';
  const groups = [...new Set(COMMANDS.filter((c) => c.path.length > 1).map((c) => c.path[0]!))];
  if (groups.includes(first)) {
    const what = COMMANDS.filter((c) => c.path[0] === first).map((c) => c.path.slice(1).join(' '));
    const given = argv[1] && !argv[1].startsWith('-') ? `"${argv[1]}" is not something ${first} knows; ` : '';
    return new CliError(`${given}name what to ${first}: ${programName} ${first} ${what.join('|')} NAME`, ExitCode.toolError, { hint: `See '${programName} ${first} --help' for usage.` });
  }
  if (first.startsWith('-')) return new CliError(`unknown flag: ${first.split('=')[0]} (name a command first)`, ExitCode.toolError, { hint: `See '${programName} --help' for usage.` });
  return new CliError(`unknown command "${first}" for "${programName}"`, ExitCode.toolError, { hint: `Run '${programName} --help' for usage.` });
}

/** Errors are one line on stderr. */
function oneLine(message: string): string {
  return message.trim().replace(/:?\s*\n\s*/g, ': ');
}

