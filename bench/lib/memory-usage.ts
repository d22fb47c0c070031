/**
 * Memory after a full collection, for the memory benchmarks (run them with node --expose-gc).
 * Two gc() calls: the first can leave objects that only die in the next (weak references, finalizers).
 */
export interface MemoryUsage {
  heap: number;
  /** Includes arrayBuffers. */
  external: number;
  rss: number;
}

export function collectedMemoryUsage(): MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, rss: m.rss };
}
