import { Registry } from 'prom-client';
import { createMetrics } from '../../../src/telemetry/metrics.js';

/** Words in PromQL that look like identifiers but are not metric names. */
const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'inf', 'nan', 'start', 'end',
]);

/**
 * Metric names referenced by a PromQL expression (or a Grafana variable query such as
 * `label_values(metric{…}, label)`). A tokenizer, not a parser: it drops strings, label matchers,
 * ranges, grouping clauses, Grafana variables and numbers, then keeps identifiers that are not
 * function calls or keywords. Also returns names given as `{__name__="…"}`.
 */
export function metricNamesIn(expr: string): string[] {
  const names = new Set<string>();
  let s = expr;
  // label_values(metric, label) / label_values(label): only the metric argument names a metric
  s = s.replace(/\blabel_values\s*\(\s*([^,()]*?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)/g, ' $1 ');
  s = s.replace(/\blabel_values\s*\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)/g, ' ');
  s = s.replace(/\b(?:query_result|metrics|label_names)\s*\(/g, ' (');
  // {__name__="x"} names a metric without a bare identifier
  for (const m of s.matchAll(/__name__\s*=\s*"([^"]+)"/g)) names.add(m[1] as string);
  s = s.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' '); // strings
  s = s.replace(/#[^\n]*/g, ' '); // comments
  s = s.replace(/\{[^}]*\}/g, ' '); // label matchers (after strings, so a "}" inside a value is gone)
  s = s.replace(/\[[^\]]*\]/g, ' '); // range and subquery selectors
  s = s.replace(/\$\{[^}]*\}|\$__\w+|\$\w+/g, ' '); // Grafana variables
  s = s.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  s = s.replace(/\b(?:offset)\s+-?[0-9a-z]+/g, ' '); // offset 5m
  s = s.replace(/@\s*[0-9.]+|@\s*(?:start|end)\s*\(\s*\)/g, ' '); // @ modifier
  s = s.replace(/(?<![A-Za-z0-9_:])(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)(?:[smhdwy]|ms)*/g, ' '); // numbers, durations
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    const word = m[0].replace(/\s*\($/, '');
    if (m[1]) continue; // a function or aggregation call
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** Every series name the daemon's /metrics can contain (with histogram suffixes), plus `up`. */
export async function exportedMetricNames(): Promise<Set<string>> {
  const { registry } = createMetrics(new Registry());
  const names = new Set<string>(['up']);
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    const type = String(metric.type);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}
