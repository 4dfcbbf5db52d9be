/**
 * @module
 * A small Prometheus registry in the text exposition format 0.0.4: counters, gauges and
 * histograms with labels. Created in the composition root and passed down; there is no global
 * default registry, so tests get fresh metrics and nothing registers twice.
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

export interface MetricsRegistry {
  counter(o: MetricOptions): Counter;
  gauge(o: MetricOptions): Gauge;
  histogram(o: MetricOptions & { buckets: readonly number[] }): Histogram;
  render(): string;
}

/** The content type of render()'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Seconds buckets for latencies from 5 ms to 2 min. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Family {
  render(out: string[]): void;
}

export function createRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();

  const register = (o: MetricOptions, type: string, extraReserved: string[] = []): { labelNames: readonly string[]; header: string[] } => {
    if (!NAME_RE.test(o.name)) throw new TypeError(`invalid metric name "${o.name}": use [a-zA-Z_:][a-zA-Z0-9_:]*`);
    if (families.has(o.name)) throw new TypeError(`metric "${o.name}" is already registered: create each metric once and pass it down`);
    const labelNames = o.labelNames ?? [];
    for (const l of labelNames) {
      if (!LABEL_RE.test(l) || l.startsWith('__') || extraReserved.includes(l)) throw new TypeError(`invalid label name "${l}" on metric "${o.name}"`);
    }
    return { labelNames, header: [`# HELP ${o.name} ${escapeHelp(o.help)}`, `# TYPE ${o.name} ${type}`] };
  };

  const keyOf = (name: string, labelNames: readonly string[], labels: Labels | undefined): string => {
    const given = labels ?? {};
    for (const k of Object.keys(given)) {
      if (!labelNames.includes(k)) throw new TypeError(`metric "${name}" has no label "${k}" (labels: ${labelNames.join(', ') || 'none'})`);
    }
    return JSON.stringify(labelNames.map((l) => String(given[l] ?? '')));
  };

  const labelText = (labelNames: readonly string[], key: string, extra?: [string, string]): string => {
    const values = JSON.parse(key) as string[];
    const pairs = labelNames.map((l, i) => `${l}="${escapeLabel(values[i]!)}"`);
    if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
    return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
  };

  const simple = (o: MetricOptions, type: 'counter' | 'gauge') => {
    const { labelNames, header } = register(o, type);
    const values = new Map<string, number>();
    // A metric without labels exists from the start (value 0), so dashboards see it at once.
    if (labelNames.length === 0) values.set(keyOf(o.name, labelNames, {}), 0);
    families.set(o.name, {
      render(out) {
        out.push(...header);
        for (const [k, v] of values) out.push(`${o.name}${labelText(labelNames, k)} ${formatValue(v)}`);
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
      const { labelNames, header } = register(o, 'histogram', ['le']);
      const buckets = [...o.buckets].sort((a, b) => a - b);
      if (buckets.length === 0 || buckets.some((b) => !Number.isFinite(b))) throw new TypeError(`histogram "${o.name}" needs finite buckets`);
      const series = new Map<string, { counts: number[]; sum: number; count: number }>();
      families.set(o.name, {
        render(out) {
          out.push(...header);
          for (const [k, s] of series) {
            let cumulative = 0;
            buckets.forEach((b, i) => {
              cumulative += s.counts[i]!;
              out.push(`${o.name}_bucket${labelText(labelNames, k, ['le', formatValue(b)])} ${cumulative}`);
            });
            out.push(`${o.name}_bucket${labelText(labelNames, k, ['le', '+Inf'])} ${s.count}`);
            out.push(`${o.name}_sum${labelText(labelNames, k)} ${formatValue(s.sum)}`);
            out.push(`${o.name}_count${labelText(labelNames, k)} ${s.count}`);
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
    render() {
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
