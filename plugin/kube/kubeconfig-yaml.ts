/**
 * @module
 * A fast reader for the YAML that kubeconfig files are written in (by kubectl, aws eks update-kubeconfig,
 * kind, minikube, ...): block mappings and sequences, plain and quoted one-line scalars, `{}` and `[]`,
 * comments. Anything else (multi-line scalars, flow collections with content, anchors, tags, numbers,
 * dates, duplicate keys) returns undefined and the caller parses the file with js-yaml instead, so the
 * result is always what js-yaml would give.
 *
 * Why: js-yaml's first parse in a process costs about 25 ms (its parser is compiled on first use), the
 * largest single piece of a `describe node` run after Node's own start-up; a kubeconfig needs none of
 * its generality. kubeconfig-yaml.test.ts checks this reader against js-yaml on real-world kubeconfigs.
 */

interface Line {
  indent: number;
  text: string;
}

class NotInSubset extends Error {}

const bail = (): never => {
  throw new NotInSubset();
};

/** The parsed document, or undefined when it uses YAML beyond the subset (parse it with js-yaml then). */
export function parseKubeconfigYaml(source: string): unknown {
  try {
    const lines: Line[] = [];
    let first = true;
    for (const raw of source.replace(/^\uFEFF/, '').split(/\r?\n/)) {
      const content = raw.replace(/\s+$/, '');
      const trimmed = content.trimStart();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      if (/^\t| \t/.test(content.slice(0, content.length - trimmed.length + 1))) bail();
      if (first && trimmed === '---') {
        first = false;
        continue;
      }
      first = false;
      if (trimmed === '---' || trimmed === '...' || trimmed.startsWith('%')) bail();
      lines.push({ indent: content.length - trimmed.length, text: trimmed });
    }
    // An empty file: js-yaml's answer (undefined) is the one to give.
    if (lines.length === 0) bail();
    const state = { lines, at: 0 };
    const value = parseBlock(state, lines[0]!.indent);
    if (state.at !== lines.length) bail();
    return value;
  } catch (err) {
    if (err instanceof NotInSubset) return undefined;
    throw err;
  }
}

interface State {
  lines: Line[];
  at: number;
}

function parseBlock(s: State, indent: number): unknown {
  const line = s.lines[s.at]!;
  if (line.indent !== indent) bail();
  return isSequenceItem(line.text) ? parseSequence(s, indent) : parseMapping(s, indent);
}

const isSequenceItem = (text: string) => text === '-' || text.startsWith('- ');

function parseSequence(s: State, indent: number): unknown[] {
  const out: unknown[] = [];
  while (s.at < s.lines.length) {
    const line = s.lines[s.at]!;
    // A key at the sequence's own indentation ends it: the sequence was a mapping value written compactly.
    if (line.indent < indent || (line.indent === indent && !isSequenceItem(line.text))) break;
    if (line.indent > indent) bail();
    const rest = line.text.slice(1).trimStart();
    if (rest === '') {
      s.at++;
      const next = s.lines[s.at];
      out.push(next && next.indent > indent ? parseBlock(s, next.indent) : null);
      continue;
    }
    // "- key: value" opens a block at the column after the dash; the item's later lines share it.
    const column = indent + (line.text.length - rest.length);
    s.lines[s.at] = { indent: column, text: rest };
    if (isSequenceItem(rest) || splitKey(rest) !== undefined) out.push(parseBlock(s, column));
    else {
      out.push(scalar(rest));
      s.at++;
    }
  }
  return out;
}

function parseMapping(s: State, indent: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (s.at < s.lines.length) {
    const line = s.lines[s.at]!;
    if (line.indent < indent) break;
    if (line.indent > indent || isSequenceItem(line.text)) bail();
    const kv = splitKey(line.text) ?? bail();
    if (Object.hasOwn(out, kv.key) || kv.key === '<<') bail();
    s.at++;
    if (kv.value !== '') {
      out[kv.key] = scalar(kv.value);
      continue;
    }
    const next = s.lines[s.at];
    if (next && next.indent > indent) out[kv.key] = parseBlock(s, next.indent);
    // kubectl writes a mapping's sequence at the key's own indentation ("clusters:\n- cluster: ...").
    else if (next && next.indent === indent && isSequenceItem(next.text)) out[kv.key] = parseSequence(s, indent);
    else out[kv.key] = null;
  }
  return out;
}

/** "key: value" or "key:" -> the key and the rest; undefined when the line is not a mapping entry. */
function splitKey(text: string): { key: string; value: string } | undefined {
  let key: string;
  let rest: string;
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = closingQuote(text);
    if (end < 0) return undefined;
    key = quoted(text.slice(0, end + 1));
    rest = text.slice(end + 1);
    if (!rest.startsWith(':')) return undefined;
    rest = rest.slice(1);
  } else {
    const m = /^([^\s#:'"&*!|>%@`{}[\],?-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?=\s|$)/.exec(text);
    if (!m) return undefined;
    key = m[1]!;
    if (plainType(key) !== 'string') bail();
    rest = text.slice(m[0].length);
  }
  if (rest !== '' && !/^\s/.test(rest)) return undefined;
  return { key, value: rest.trim() };
}

function closingQuote(text: string): number {
  const q = text[0]!;
  for (let i = 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0', ' ': ' ' };

function quoted(token: string): string {
  const body = token.slice(1, -1);
  if (token[0] === "'") return body.replace(/''/g, "'");
  return body.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ESCAPES[e] ?? bail();
  });
}

/** A one-line value: quoted, `{}`, `[]`, or plain (which must read as a string, a boolean or null). */
function scalar(text: string): unknown {
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = closingQuote(text);
    if (end < 0) bail();
    const after = text.slice(end + 1).trim();
    if (after !== '' && !after.startsWith('#')) bail();
    return quoted(text.slice(0, end + 1));
  }
  const plain = text.replace(/\s+#.*$/, '');
  if (/^\{\s*\}$/.test(plain)) return {};
  if (/^\[\s*\]$/.test(plain)) return [];
  if (/^[&*!|>%@`{}[\],#]/.test(plain) || /^[-?:](\s|$)/.test(plain) || /:(\s|$)/.test(plain)) bail();
  switch (plainType(plain)) {
    case 'null':
      return null;
    case 'true':
      return true;
    case 'false':
      return false;
    case 'string':
      return plain;
    default:
      return bail();
  }
}

/** How the YAML core schema reads a plain scalar; 'other' is everything this reader leaves to js-yaml. */
function plainType(text: string): 'null' | 'true' | 'false' | 'string' | 'other' {
  if (text === '' || text === '~' || text === 'null' || text === 'Null' || text === 'NULL') return 'null';
  if (text === 'true' || text === 'True' || text === 'TRUE') return 'true';
  if (text === 'false' || text === 'False' || text === 'FALSE') return 'false';
  // Numbers, dates and .inf/.nan in all their spellings; and anything js-yaml might read specially.
  if (/^[-+]?[.\d]/.test(text) || /^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/.test(text) || text === '=') return 'other';
  return 'string';
}
