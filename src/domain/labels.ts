import type { Labels } from './types.js';

/** Canonical series key: `name{a="1",b="2"}` with sorted label names, like Prometheus prints it. */
export function seriesKey(labels: Labels): string {
  const name = labels.__name__ ?? '';
  const parts: string[] = [];
  for (const key of Object.keys(labels).sort()) {
    if (key === '__name__') continue;
    parts.push(`${key}=${JSON.stringify(labels[key])}`);
  }
  return `${name}{${parts.join(',')}}`;
}

/** The service a series belongs to: `service`, then `service_name`, `job`, `app`. */
export function serviceOf(labels: Labels): string | undefined {
  return labels.service ?? labels.service_name ?? labels.job ?? labels.app;
}
