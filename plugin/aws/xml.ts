/**
 * @module
 * Just enough XML for EC2 Query responses: elements, text, the five predefined entities and numeric
 * character references; attributes, comments, CDATA and the declaration are skipped. EC2's answers are
 * machine-written and namespace-qualified only at the root, which is all this needs to read. Pure.
 */

export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

export class XmlError extends Error {
  override name = 'XmlError';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? whole;
  });
}

export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: '#document', children: [], text: '' };
  const stack: XmlElement[] = [root];
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)([^>]*?)(\/?)>|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<![^>]*>/g;
  let at = 0;
  for (let m = tag.exec(source); m; m = tag.exec(source)) {
    const top = stack.at(-1)!;
    top.text += decode(source.slice(at, m.index));
    at = tag.lastIndex;
    if (m[5] !== undefined) {
      top.text += m[5];
      continue;
    }
    if (!m[2]) continue;
    const name = m[2].includes(':') ? m[2].slice(m[2].indexOf(':') + 1) : m[2];
    if (m[1]) {
      if (top.name !== name) throw new XmlError(`unexpected </${name}> inside <${top.name}>`);
      stack.pop();
    } else {
      const el: XmlElement = { name, children: [], text: '' };
      top.children.push(el);
      if (!m[4]) stack.push(el);
    }
  }
  if (stack.length !== 1) throw new XmlError(`<${stack.at(-1)!.name}> is never closed`);
  const [doc] = root.children;
  if (!doc) throw new XmlError('no root element');
  return doc;
}

/** The first child named `name`, or undefined. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** The trimmed text of the first child named `name`, or undefined when there is none. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c === undefined ? undefined : c.text.trim();
}

/** The `<item>` children of the list element `name` (EC2's `...Set` lists). */
export function items(el: XmlElement | undefined, name: string): XmlElement[] {
  return child(el, name)?.children.filter((c) => c.name === 'item') ?? [];
}
