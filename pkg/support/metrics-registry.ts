/**
 * @module
 * A small Prometheus registry in the text exposition format 0.0.4: counters, gauges and
 * histograms with labels. Created in the composition root and passed down; there is no global
 * default registry, so tests get fresh metrics and nothing registers twice.
 *
 * Names, help and labels are checked when a metric is created, against the rules Prometheus's own
 * linter (`promtool check metrics`) applies, so a badly named series fails a unit test instead of
 * reaching a scrape.
 */

export type Labels = Record<string, string | number>;

export interface Counter {
  inc(labels?: Labels, n?: number): void;
}
export interface Gauge {
  set(labels: Labels, v: number): void;
  inc(labels?: Labels, n?: number): void;
  dec(labels?: Labels, n?: number): void;
  /** Drops the series (e.g. a node that left the cluster). */
  remove(labels: Labels): void;
}
export interface Histogram {
  observe(labels: Labels, v: number): void;
}

export interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export interface GaugeOptions extends MetricOptions {
  /**
   * An unlabelled gauge starts at 0 unless this is set: then it has no sample until its first set(), for a
   * value that does not exist yet, where a 0 would be read as a measurement.
   */
  absentUntilSet?: boolean;
}

export interface MetricsRegistry {
  counter(o: MetricOptions): Counter;
  gauge(o: GaugeOptions): Gauge;
  histogram(o: MetricOptions & { buckets: readonly number[] }): Histogram;
  /** Runs `fn` at the start of every render(): for values read only when scraped (memory, CPU time). */
  beforeRender(fn: () => void): void;
  render(): string;
}

/** The content type of render()'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Seconds buckets for latencies from 5 ms to 2 min. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

// snake_case only: the text format allows capitals and ':', but promtool flags camelCase, and ':' is
// reserved for recording rules.
const NAME_RE = /^[a-z_][a-z0-9_]*$/;
const LABEL_RE = /^[a-z_][a-z0-9_]*$/;
/** Labels the exposition format gives a meaning of its own (histogram buckets, summary quantiles). */
const RESERVED_LABELS = ['le', 'quantile'];
/** Abbreviated units promtool rejects as a name part ("_ms", "_sec", ...): spell out the base unit. */
const UNIT_ABBREVIATIONS = ['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'];
/** Non-base time and size units promtool rejects (alone or after an SI prefix such as milli), with the base unit to use. */
const NON_BASE_UNITS: Record<string, string> = { minutes: 'seconds', hours: 'seconds', days: 'seconds', weeks: 'seconds', bits: 'bytes' };
const UNIT_PREFIXES = ['pico', 'nano', 'micro', 'milli', 'centi', 'deci', 'deca', 'hecto', 'kilo', 'kibi', 'mega', 'mibi', 'giga', 'gibi', 'tera', 'tebi', 'peta', 'pebi'];
const BASE_UNITS = ['seconds', 'bytes'];

type MetricType = 'counter' | 'gauge' | 'histogram';

/** The base unit to use instead of `part` ("milliseconds" -> "seconds"), or undefined when `part` is fine. */
function baseUnitFor(part: string): string | undefined {
  if (NON_BASE_UNITS[part]) return NON_BASE_UNITS[part];
  for (const prefix of UNIT_PREFIXES) {
    if (!part.startsWith(prefix)) continue;
    const unit = part.slice(prefix.length);
    if (BASE_UNITS.includes(unit)) return unit;
    if (NON_BASE_UNITS[unit]) return NON_BASE_UNITS[unit];
  }
  return undefined;
}

/** Why `promtool check metrics` would flag this family, or undefined when it is clean. */
function lintProblem(name: string, type: MetricType, help: string, labelNames: readonly string[]): string | undefined {
  if (!NAME_RE.test(name)) return `invalid metric name "${name}": use snake_case, [a-z_][a-z0-9_]* (':' is for recording rules)`;
  if (help.trim() === '') return `metric "${name}" has no help text: say what it counts and in which unit`;
  const parts = name.split('_');
  // As promtool: type names and abbreviations count only after an underscore, units anywhere.
  const suffixParts = parts.slice(1);
  for (const t of ['counter', 'gauge', 'histogram', 'summary']) {
    if (suffixParts.includes(t)) return `metric "${name}" names its type "${t}": drop it, the TYPE line says so`;
  }
  for (const part of suffixParts) {
    if (UNIT_ABBREVIATIONS.includes(part)) return `metric "${name}" abbreviates a unit ("_${part}"): spell out the base unit, e.g. _seconds or _bytes`;
  }
  for (const part of parts) {
    const base = baseUnitFor(part);
    if (base) return `metric "${name}" uses "${part}": use the base unit "${base}" and scale the value`;
  }
  if (type === 'counter' && !name.endsWith('_total')) return `counter "${name}" must end in "_total"`;
  if (type !== 'counter' && name.endsWith('_total')) return `${type} "${name}" must not end in "_total": that suffix marks a counter`;
  for (const suffix of ['_bucket', '_count', '_sum']) {
    if (name.endsWith(suffix)) return `metric "${name}" must not end in "${suffix}": the exposition uses it for histogram series`;
  }
  const seen = new Set<string>();
  for (const l of labelNames) {
    if (!LABEL_RE.test(l) || l.startsWith('__') || RESERVED_LABELS.includes(l)) return `invalid label name "${l}" on metric "${name}": use snake_case, not __*, le or quantile`;
    if (seen.has(l)) return `label "${l}" is listed twice on metric "${name}"`;
    seen.add(l);
  }
  return undefined;
}

interface Family {
  render(out: string[]): void;
}

export function createRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();
  const collectors: Array<() => void> = [];

  const register = (o: MetricOptions, type: MetricType): { labelNames: readonly string[]; header: string[] } => {
    const labelNames = o.labelNames ?? [];
    const problem = lintProblem(o.name, type, o.help, labelNames);
    if (problem) throw new TypeError(problem);
    if (families.has(o.name)) throw new TypeError(`metric "${o.name}" is already registered: create each metric once and pass it down`);
    return { labelNames, header: [`# HELP ${o.name} ${escapeHelp(o.help)}`, `# TYPE ${o.name} ${type}`] };
  };

  /**
   * A series' key is its label set as the exposition writes it (`{node="a",state="used"}`, labels in declared
   * order, values escaped; '' without labels): unique per label set, and rendered as is, so a scrape of 1,000
   * nodes formats nothing it formatted before. Every label, every time: a forgotten one would become an empty
   * value, a separate series that no dashboard selector matches.
   */
  const keyOf = (name: string, labelNames: readonly string[], labels: Labels | undefined): string => {
    const given = labels ?? {};
    for (const k of Object.keys(given)) {
      if (!labelNames.includes(k)) throw new TypeError(`metric "${name}" has no label "${k}" (labels: ${labelNames.join(', ') || 'none'})`);
    }
    if (labelNames.length === 0) return '';
    let text = '{';
    for (const l of labelNames) {
      const v = given[l];
      if (v === undefined) {
        const missing = labelNames.filter((m) => given[m] === undefined);
        throw new TypeError(`metric "${name}" needs a value for label ${missing.map((m) => `"${m}"`).join(', ')}`);
      }
      text += `${text.length > 1 ? ',' : ''}${l}="${escapeLabel(String(v))}"`;
    }
    return `${text}}`;
  };

  /** A histogram bucket's labels: the series' own and `le`. */
  const withLe = (key: string, le: string): string => (key === '' ? `{le="${le}"}` : `${key.slice(0, -1)},le="${le}"}`);

  const simple = (o: GaugeOptions, type: 'counter' | 'gauge') => {
    const { labelNames, header } = register(o, type);
    const values = new Map<string, number>();
    // A metric without labels exists from the start (value 0), so dashboards see it at once.
    if (labelNames.length === 0 && !o.absentUntilSet) values.set(keyOf(o.name, labelNames, {}), 0);
    families.set(o.name, {
      render(out) {
        out.push(...header);
        for (const [k, v] of values) out.push(`${o.name}${k} ${formatValue(v)}`);
      },
    });
    return { labelNames, values };
  };

  return {
    counter(o) {
      const { labelNames, values } = simple(o, 'counter');
      return {
        inc(labels, n = 1) {
          if (!(n >= 0)) throw new RangeError(`counter "${o.name}" can only go up; got ${n}`);
          const k = keyOf(o.name, labelNames, labels);
          values.set(k, (values.get(k) ?? 0) + n);
        },
      };
    },
    gauge(o) {
      const { labelNames, values } = simple(o, 'gauge');
      const add = (labels: Labels | undefined, n: number) => {
        const k = keyOf(o.name, labelNames, labels);
        values.set(k, (values.get(k) ?? 0) + n);
      };
      return {
        set: (labels, v) => void values.set(keyOf(o.name, labelNames, labels), v),
        inc: (labels, n = 1) => add(labels, n),
        dec: (labels, n = 1) => add(labels, -n),
        remove: (labels) => void values.delete(keyOf(o.name, labelNames, labels)),
      };
    },
    histogram(o) {
      const { labelNames, header } = register(o, 'histogram');
      const buckets = [...o.buckets].sort((a, b) => a - b);
      if (buckets.length === 0 || buckets.some((b) => !Number.isFinite(b))) throw new TypeError(`histogram "${o.name}" needs finite buckets (+Inf is added by itself)`);
      // Two buckets with one bound would give two series with the same le.
      if (buckets.some((b, i) => i > 0 && b === buckets[i - 1])) throw new TypeError(`histogram "${o.name}" lists a bucket bound twice: ${buckets.join(', ')}`);
      const series = new Map<string, { counts: number[]; sum: number; count: number }>();
      const les = [...buckets.map(formatValue), '+Inf'];
      families.set(o.name, {
        render(out) {
          out.push(...header);
          for (const [k, s] of series) {
            let cumulative = 0;
            for (let i = 0; i < buckets.length; i++) {
              cumulative += s.counts[i]!;
              out.push(`${o.name}_bucket${withLe(k, les[i]!)} ${cumulative}`);
            }
            out.push(`${o.name}_bucket${withLe(k, les[buckets.length]!)} ${s.count}`);
            out.push(`${o.name}_sum${k} ${formatValue(s.sum)}`);
            out.push(`${o.name}_count${k} ${s.count}`);
          }
        },
      });
      return {
        observe(labels, v) {
          const k = keyOf(o.name, labelNames, labels);
          let s = series.get(k);
          if (!s) series.set(k, (s = { counts: buckets.map(() => 0), sum: 0, count: 0 }));
          const i = buckets.findIndex((b) => v <= b);
          if (i >= 0) s.counts[i]!++;
          s.sum += v;
          s.count++;
        },
      };
    },
    beforeRender(fn) {
      collectors.push(fn);
    },
    render() {
      for (const collect of collectors) collect();
      const out: string[] = [];
      for (const f of families.values()) f.render(out);
      return out.join('\n') + '\n';
    },
  };
}

function escapeHelp(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function escapeLabel(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
