/**
 * @module
 * `-o json` and `-o yaml`: the report value as is, never styled. JSON is indented like kubectl's.
 */
import { dump } from 'js-yaml';

export type StructuredFormat = 'json' | 'yaml';

export function renderStructured(value: unknown, format: StructuredFormat): string {
  if (format === 'json') return `${JSON.stringify(value, null, 4)}\n`;
  return dump(value, { noRefs: true, lineWidth: -1, sortKeys: false });
}
