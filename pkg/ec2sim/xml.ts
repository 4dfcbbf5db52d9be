/**
 * @module
 * EC2 Query-protocol XML: response documents in EC2's namespace and EC2's error document.
 * Responses are built from plain values: object keys become elements (EC2's lowerCamel XML names),
 * arrays become `<item>` sequences, undefined is omitted.
 */

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [name: string]: XmlValue };

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;'));
}

function write(out: string[], name: string, value: XmlValue): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    out.push(`<${name}>`);
    for (const item of value) write(out, 'item', item);
    out.push(`</${name}>`);
  } else if (typeof value === 'object') {
    out.push(`<${name}>`);
    for (const [k, v] of Object.entries(value)) write(out, k, v);
    out.push(`</${name}>`);
  } else {
    out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
  }
}

/** `<{Action}Response xmlns=...><requestId>..</requestId>...body...</{Action}Response>` */
export function responseXml(action: string, requestId: string, body: Record<string, XmlValue>): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n', `<${action}Response xmlns="${EC2_XMLNS}">`];
  write(out, 'requestId', requestId);
  for (const [k, v] of Object.entries(body)) write(out, k, v);
  out.push(`</${action}Response>`);
  return out.join('');
}

/** EC2's error document (note: `RequestID`, capitalised, unlike successful responses). */
export function errorXml(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors>` +
    `<RequestID>${escapeXml(requestId)}</RequestID></Response>`
  );
}
