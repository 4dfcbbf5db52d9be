/**
 * @module
 * `--help` for every command, rendered by yargs from the same declarations the command line is read with
 * (plugin/cli.ts). Loaded only when help is asked for or no command is named.
 */
import yargs, { type Argv, type Options } from 'yargs';
import type { CommandSpec } from './cli.ts';
import type { CliIO } from './io.ts';
import { terminalWidth } from './render/width.ts';

/** What the first word of a multi-word command does, for the top-level list. */
const GROUPS: Record<string, string> = {
  describe: 'Explain the Windows IPAM state of a node',
  get: 'List Windows nodes with their prefixes, addresses, pods and capacity',
  why: 'Explain why a pod has, or has not, a working address',
};

/** The help text for `argv` (ending in a newline). */
export async function helpText(argv: readonly string[], commands: readonly CommandSpec[], io: CliIO, programName: string): Promise<string> {
  const command = (spec: CommandSpec): [string, string, (y: Argv) => Argv] => [
    [spec.path.at(-1)!, ...spec.positionals.map((p) => (p.variadic ? `[${p.name}..]` : `[${p.name}]`))].join(' '),
    spec.summary,
    (y: Argv) => {
      let out = y;
      for (const p of spec.positionals) out = out.positional(p.name, { type: 'string', describe: p.describe, ...(p.variadic ? { array: true } : {}) });
      out = out.options(spec.flags as Record<string, Options>);
      for (const [cmd, what] of spec.examples ?? []) out = out.example(cmd, what);
      if (spec.epilogue) out = out.epilogue(spec.epilogue);
      return out;
    },
  ];
  let root: Argv = yargs([...argv])
    .scriptName(programName)
    .usage(`${programName} <command> [options]\n\nExplains and simulates Windows pod IPAM with /28 prefix delegation on AWS.`)
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, terminalWidth(io)))
    .exitProcess(false);
  const grouped = new Map<string, CommandSpec[]>();
  for (const spec of commands) {
    if (spec.path.length === 1) {
      const [name, summary, builder] = command(spec);
      root = root.command(name, summary, builder);
    } else {
      grouped.set(spec.path[0]!, [...(grouped.get(spec.path[0]!) ?? []), spec]);
    }
  }
  for (const [group, specs] of grouped) {
    root = root.command(group, GROUPS[group] ?? group, (y) => {
      let out = y;
      for (const spec of specs) {
        const [name, summary, builder] = command(spec);
        out = out.command([name, ...(spec.aliases ?? [])], summary, builder);
      }
      return out;
    });
  }
  let text = '';
  await root.parseAsync([...argv, ...(argv.includes('--help') || argv.includes('-h') ? [] : ['--help'])], {}, (_err, _parsed, output) => {
    text = output;
  });
  return text.endsWith('\n') ? text : `${text}\n`;
}
