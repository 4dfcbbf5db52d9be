/**
 * @module
 * `-o json` and `-o yaml` for every command: the value as is, never styled. JSON is indented like
 * kubectl's. js-yaml is loaded only for YAML.
 */
export type StructuredFormat = 'json' | 'yaml';

export async function renderStructured(value: unknown, format: StructuredFormat): Promise<string> {
  if (format === 'json') return `${JSON.stringify(value, null, 4)}\n`;
  const { dump } = await import('js-yaml');
  return dump(value, { noRefs: true, lineWidth: -1, sortKeys: false });
}
