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
    // Flatten cons/sliced strings (e.g. substrings of a decoded buffer) so the pooled copy does not pin its parent.
    const flat = s.length === 0 ? '' : (' ' + s).slice(1);
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
