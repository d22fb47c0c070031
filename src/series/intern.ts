/**
 * Label string interning: label names and values repeat across series (job, instance, service,
 * `__name__`), so each distinct string is kept once and every series references it. The pool is
 * bounded; past `maxEntries` it is cleared (strings already referenced stay alive, new ones start
 * sharing again), so a flood of unique values cannot grow it without limit.
 */
export class StringInterner {
  private pool = new Map<string, string>();
  constructor(private readonly maxEntries = 1_000_000) {}

  intern(s: string): string {
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    if (this.pool.size >= this.maxEntries) this.pool = new Map();
    const flat = flatString(s);
    this.pool.set(flat, flat);
    return flat;
  }

  /** A frozen label object whose names and values are interned. */
  labels(labels: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const k of Object.keys(labels).sort()) out[this.intern(k)] = this.intern(labels[k]!);
    return Object.freeze(out);
  }

  get size(): number {
    return this.pool.size;
  }
}

/**
 * A flat copy of `s`. Strings built by concatenation (ropes) or cut from a decoded buffer (slices)
 * cost several times their length or pin their parent; a long-lived copy should be flat. The JSON
 * round trip keeps every code unit, lone surrogates included.
 */
function flatString(s: string): string {
  return s.length === 0 ? '' : (JSON.parse(JSON.stringify(s)) as string);
}
