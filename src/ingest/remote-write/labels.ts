import { badRequest } from '../../lib/errors.js';
import { seriesKey, seriesKeyFromSortedPairs } from '../../domain/labels.js';

/** Label set under construction; becomes a `Labels` once validated. */
export type LabelRecord = Record<string, string>;

/** [a-zA-Z_][a-zA-Z0-9_]* without a regex (this runs once per label on the hot path). */
export function isValidLabelName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    const alpha = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
    if (!alpha && (i === 0 || c < 48 || c > 57)) return false;
  }
  return true;
}

/** Quotes a user-supplied string for an error message, shortened so a reply stays small. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
}

/**
 * Adds one label, checking the name and that it is not already present. `where` names the series
 * (`timeseries[3]`) and `which` the label (`label[1]`, `labels_refs[2..3]`) for the error message.
 */
export function addLabel(labels: LabelRecord, name: string, value: string, where: string, which: string): void {
  if (!isValidLabelName(name)) {
    const why = name.length === 0 ? 'an empty label name' : `invalid label name ${quote(name)}`;
    throw badRequest('invalid_labels', `${where}: ${which} has ${why} (must match [a-zA-Z_][a-zA-Z0-9_]*)`, { where, label: which });
  }
  if (value.includes('\u0000')) {
    // PostgreSQL text cannot hold NUL, and no Prometheus label value has a reason to: invalid data (400).
    throw badRequest('invalid_labels', `${where}: ${which} (${quote(name)}) has a NUL character in its value`, { where, label: which });
  }
  if (Object.hasOwn(labels, name)) {
    throw badRequest('invalid_labels', `${where}: ${which} repeats label name ${quote(name)}`, { where, label: which });
  }
  if (name === '__proto__') {
    // A plain object's `__proto__` setter would swallow this label; define it as an own property.
    Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    labels[name] = value;
  }
}

/** Every series needs a non-empty metric name. */
export function requireMetricName(labels: LabelRecord, where: string): void {
  if (!Object.hasOwn(labels, '__name__') || labels.__name__ === '') {
    throw badRequest('invalid_labels', `${where}: the series has no __name__ label (or it is empty)`, { where, label: '__name__' });
  }
}

/**
 * The label pairs of the series being decoded, in wire order, to build its series key without
 * sorting when they arrive sorted by name (Prometheus sends them that way). Reused across series.
 */
export class LabelPairs {
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private n = 0;
  private sorted = true;

  reset(): void {
    this.n = 0;
    this.sorted = true;
  }

  add(name: string, value: string): void {
    if (this.n > 0 && (this.names[this.n - 1] as string) >= name) this.sorted = false;
    this.names[this.n] = name;
    this.values[this.n] = value;
    this.n++;
  }

  /** seriesKey(labels) of the validated labels these pairs were added to. */
  key(labels: LabelRecord): string {
    return this.sorted ? seriesKeyFromSortedPairs(this.names, this.values, this.n) : seriesKey(labels);
  }
}
