import type { Labels } from './types.js';

/** True when JSON.stringify(s) is just `"${s}"`: no quote, backslash, control character or surrogate. */
function plainJsonString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** JSON.stringify for a string, without the generic serializer on the common (plain) path. */
export function quoteLabelValue(s: string): string {
  return plainJsonString(s) ? `"${s}"` : JSON.stringify(s);
}

/**
 * Canonical series key: `name{a="1",b="2"}` with sorted label names, like Prometheus prints it.
 * Built with Array.join so V8 returns a flat string: the store keeps keys for as long as a series
 * lives, and a key built by `+=` is a rope of cons cells costing ~5× its length. The store keeps the
 * very string it is given, so a decoder that hands the same key object again (remote_write's label
 * cache) gets an identity match in the store's map.
 */
export function seriesKey(labels: Labels): string {
  const names = Object.keys(labels);
  let sorted = true;
  for (let i = 1; i < names.length; i++) {
    if ((names[i - 1] as string) >= (names[i] as string)) {
      sorted = false;
      break;
    }
  }
  if (!sorted) names.sort();
  const parts: string[] = [labels.__name__ ?? '', '{'];
  for (const key of names) {
    if (key === '__name__') continue;
    if (parts.length > 2) parts.push(',');
    parts.push(key, '=', quoteLabelValue(labels[key] as string));
  }
  parts.push('}');
  return parts.join(''); // join, not +=: a flat string (see above)
}

/**
 * The same key as {@link seriesKey} from label pairs already sorted by name with no repeated name
 * (`names[i] < names[i + 1]`; Prometheus sends labels that way), without building an object first.
 */
export function seriesKeyFromSortedPairs(names: readonly string[], values: readonly string[], count: number): string {
  const parts: string[] = ['', '{'];
  for (let i = 0; i < count; i++) {
    const name = names[i] as string;
    const value = values[i] as string;
    if (name === '__name__') {
      parts[0] = value;
      continue;
    }
    if (parts.length > 2) parts.push(',');
    parts.push(name, '=', quoteLabelValue(value));
  }
  parts.push('}');
  return parts.join('');
}

/** The service a series belongs to: `service`, then `service_name`, `job`, `app`. */
export function serviceOf(labels: Labels): string | undefined {
  return labels.service ?? labels.service_name ?? labels.job ?? labels.app;
}
