/**
 * @module
 * The pieces of human output every command prints, each fitted to the width: "Label: value" lines whose
 * long values fold under the value column (or under the label on a narrow terminal), paragraphs with a
 * hanging indent, shell commands folded with `\` so they still paste, and the findings list of the
 * shared findings model (plugin/findings.ts).
 */
import type { Finding } from '../findings.ts';
import type { Style } from './style.ts';
import { displayWidth, wrapText } from './text.ts';

/** The value column of "Label:" lines. */
export const LABEL_WIDTH = 15;
/** Below this many columns for the value, it goes under its label instead. */
const MIN_VALUE_WIDTH = 30;

/** "Label:         value", folded to `width`; `paint` styles each finished line of the value. */
export function labelled(label: string, value: string, o: { width: number; paint?: ((text: string) => string) | undefined; labelWidth?: number }): string {
  const labelWidth = o.labelWidth ?? LABEL_WIDTH;
  const head = `${label}:`;
  const paint = o.paint ?? ((t: string) => t);
  const room = o.width - labelWidth;
  if (room < MIN_VALUE_WIDTH || displayWidth(head) >= labelWidth) {
    const lines = wrapText(value, o.width - 2);
    return `${head}\n${lines.map((l) => `  ${paint(l)}`.trimEnd()).join('\n')}\n`;
  }
  const lines = wrapText(value, room);
  return `${lines.map((l, i) => `${i === 0 ? head.padEnd(labelWidth) : ' '.repeat(labelWidth)}${paint(l)}`.trimEnd()).join('\n')}\n`;
}

/** A further line of the value above it (a note under "Config:"), folded under the value column. */
export function continued(value: string, o: { width: number; paint?: ((text: string) => string) | undefined; labelWidth?: number }): string {
  const labelWidth = o.labelWidth ?? LABEL_WIDTH;
  const paint = o.paint ?? ((t: string) => t);
  const indent = o.width - labelWidth < MIN_VALUE_WIDTH ? 2 : labelWidth;
  return `${wrapText(value, o.width - indent).map((l) => `${' '.repeat(indent)}${paint(l)}`.trimEnd()).join('\n')}\n`;
}

/** `first` then `text`, wrapped, continuation lines indented to `hang` columns. */
export function hanging(first: string, text: string, o: { width: number; hang: number; paint?: ((text: string) => string) | undefined }): string {
  const paint = o.paint ?? ((t: string) => t);
  const firstRoom = Math.max(20, o.width - displayWidth(first));
  const restRoom = Math.max(20, o.width - o.hang);
  const words = wrapText(text, firstRoom);
  const [head, ...tail] = words;
  const rest = tail.length > 0 ? wrapText(tail.join(' '), restRoom) : [];
  return [`${first}${paint(head ?? '')}`.trimEnd(), ...rest.map((l) => `${' '.repeat(o.hang)}${paint(l)}`.trimEnd())].join('\n') + '\n';
}

/**
 * A shell command folded at spaces outside quotes, each line but the last ending in " \": pasted into a
 * shell it is still one command. A single word longer than the line stays whole.
 */
export function shellLines(command: string, width: number): string[] {
  const tokens = command.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
  // A flag and its value fold as one: "--cidr 10.0.0.128/25" never splits across lines.
  const words: string[] = [];
  for (const t of tokens) {
    const prev = words.at(-1);
    if (prev !== undefined && /^--?[A-Za-z][\w-]*$/.test(prev) && !t.startsWith('-')) words[words.length - 1] = `${prev} ${t}`;
    else words.push(t);
  }
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const candidate = line === '' ? word : `${line} ${word}`;
    // Room for the trailing " \" on every line but the last.
    if (line !== '' && displayWidth(candidate) + 2 > width) {
      lines.push(`${line} \\`);
      line = `  ${word}`;
    } else {
      line = candidate;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** The findings section: each finding with what it means, what to do and the commands for it. */
export function renderFindings(findings: readonly Finding[], o: { width: number; style: Style; title?: string }): string {
  const { style } = o;
  const title = o.title ?? 'Findings';
  let out = `${style.bold(style.red(`${title} (${findings.length}):`))}\n`;
  const mark = style.rich ? '✗' : 'x';
  for (const f of findings) {
    const head = `${f.kind}${f.cause ? ` (${f.cause})` : ''}: `;
    out += hanging(`  ${mark} `, `${head}${f.message}`, { width: o.width, hang: 4 }).replace(`${mark} ${f.kind}`, `${style.red(mark)} ${style.bold(f.kind)}`);
    out += hanging('    meaning: ', f.meaning, { width: o.width, hang: 13 });
    out += hanging('    do:      ', f.action, { width: o.width, hang: 13 });
    for (const command of f.commands) {
      const lines = shellLines(command, Math.max(30, o.width - 13));
      out += lines.map((l, i) => `${i === 0 ? '    run:     ' : ' '.repeat(13)}${l}`).join('\n') + '\n';
    }
  }
  return out;
}
