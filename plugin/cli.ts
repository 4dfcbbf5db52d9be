/**
 * @module
 * How every plugin command is declared and its command line read. A command is data (its words, its
 * positional arguments, its flags in yargs' option shape) plus a `run` that loads its code only when it
 * runs. The command line is read with node:util's parseArgs, which costs nothing to load; yargs, which
 * renders `--help` from the same declarations, is loaded only for help (plugin/help.ts). So a `describe
 * node` run loads neither yargs nor the code of other commands.
 *
 * Usage errors read as kubectl's: `error: unknown flag: --bogus` then `See 'kubectl winprefix describe
 * node --help' for usage.`
 */
import { util } from './builtins.ts';
import { CliError, ExitCode, type CliIO } from './io.ts';

/** A flag, in the shape yargs takes for help (so one declaration serves both). */
export interface FlagSpec {
  type: 'string' | 'boolean';
  alias?: string;
  describe: string;
  default?: string;
  group?: string;
  choices?: readonly string[];
}

export interface CommandSpec {
  /** The words that select it, e.g. ['describe', 'node']. */
  path: readonly string[];
  /** Other words for its last word, e.g. ['nodes', 'no']. */
  aliases?: readonly string[];
  /** One line, for the list of commands. */
  summary: string;
  /** The last one may be `variadic`: it takes every further word (`check NODE...`). */
  positionals: ReadonlyArray<{ name: string; describe: string; variadic?: boolean }>;
  flags: Readonly<Record<string, FlagSpec>>;
  examples?: ReadonlyArray<readonly [string, string]>;
  epilogue?: string;
  run(args: ParsedCommand, io: CliIO): Promise<number>;
}

export interface ParsedCommand {
  /** Every string flag as the list of values given (repeats kept, in order); booleans as true. */
  values: Readonly<Record<string, string[] | boolean | undefined>>;
  positionals: string[];
}

/** The words before the first flag. */
function words(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    out.push(a);
  }
  return out;
}

/** The command the words select (its path or an alias of its last word), and how many words that took. */
export function findCommand(argv: readonly string[], commands: readonly CommandSpec[]): { spec: CommandSpec; consumed: number } | undefined {
  const w = words(argv);
  for (const spec of commands) {
    const heads = spec.path.slice(0, -1);
    const lasts = [spec.path.at(-1)!, ...(spec.aliases ?? [])];
    if (heads.every((h, i) => w[i] === h) && lasts.includes(w[heads.length] ?? '')) return { spec, consumed: spec.path.length };
  }
  return undefined;
}

/** "kubectl winprefix describe node": the command as typed so far, for help lines. */
export function commandPathText(programName: string, spec: CommandSpec | undefined): string {
  return [programName, ...(spec?.path ?? [])].join(' ');
}

/** Reads the rest of the command line for `spec`; throws kubectl-style usage errors. */
export function parseCommandLine(argv: readonly string[], consumed: number, spec: CommandSpec, programName: string): ParsedCommand {
  const hint = `See '${commandPathText(programName, spec)} --help' for usage.`;
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    options[name] = { type: f.type, ...(f.alias ? { short: f.alias } : {}), ...(f.type === 'string' ? { multiple: true } : {}) };
  }
  // A negative number after a string flag is its value (`--warm-ip-target -1`), as yargs and kubectl read it.
  const args: string[] = [];
  const rest = argv.slice(consumed);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const name = a.startsWith('--') ? a.slice(2) : a.length === 2 && a.startsWith('-') ? Object.keys(spec.flags).find((n) => spec.flags[n]!.alias === a.slice(1)) : undefined;
    const next = rest[i + 1];
    if (name && spec.flags[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      args.push(`${a.startsWith('--') ? a : `--${name}`}=${next}`);
      i++;
    } else {
      args.push(a);
    }
  }
  let parsed: { values: Record<string, string[] | boolean | undefined>; positionals: string[] };
  try {
    parsed = util().parseArgs({ args, options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'(-[^']+)'/.exec(e.message)?.[1] ?? e.message;
      throw new CliError(`unknown flag: ${flag.split('=')[0]}`, ExitCode.toolError, { hint });
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = /'(?:-\w, )?(--[\w-]+)/.exec(e.message)?.[1] ?? '';
      throw new CliError(`flag needs an argument: ${flag} (use ${flag}=VALUE when the value starts with "-")`, ExitCode.toolError, { hint });
    }
    throw new CliError(e.message.split('\n')[0]!, ExitCode.toolError, { hint });
  }
  if (parsed.positionals.length > spec.positionals.length && !spec.positionals.at(-1)?.variadic) {
    const extra = parsed.positionals.slice(spec.positionals.length);
    throw new CliError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `"${a}"`).join(' ')} for "${commandPathText(programName, spec)}"`, ExitCode.toolError, { hint });
  }
  const values: Record<string, string[] | boolean | undefined> = { ...parsed.values };
  for (const [name, f] of Object.entries(spec.flags)) {
    if (values[name] === undefined && f.default !== undefined) values[name] = [f.default];
    const given = values[name];
    if (f.choices && Array.isArray(given)) {
      const bad = given.find((v) => !f.choices!.includes(v));
      if (bad !== undefined) {
        throw new CliError(`invalid value "${bad}" for --${name}${f.alias ? `/-${f.alias}` : ''}: use one of ${f.choices.join(', ')}`, ExitCode.toolError, { hint });
      }
    }
  }
  return { values, positionals: parsed.positionals };
}

/** The last value of a repeatable string flag (kubectl's rule: the last one wins); an empty value is an error. */
export function lastValue(values: ParsedCommand['values'], flag: string): string | undefined {
  const v = values[flag];
  if (!Array.isArray(v)) return undefined;
  if (v.some((x) => x === '')) throw new CliError(`--${flag} needs a value`);
  return v.at(-1);
}

/** Every value of a repeatable string flag. */
export function allValues(values: ParsedCommand['values'], flag: string): string[] {
  const v = values[flag];
  return Array.isArray(v) ? v : [];
}
