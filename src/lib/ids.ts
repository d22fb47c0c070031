import { randomUUID } from 'node:crypto';

/** Prefixed random ids make logs readable: dec_…, inc_…, anm_…. */
export function newId(prefix: 'dec' | 'inc' | 'anm' | 'aud'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}
