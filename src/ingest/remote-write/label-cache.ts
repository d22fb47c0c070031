import type { Labels } from '../../domain/types.js';

/**
 * Remembers, for the raw bytes of a series' label fields, the series key and labels they decoded
 * and validated to. A sender sends the same series over and over with byte-identical labels, so a
 * hit skips decoding, validating and building the key (and hands the store the same key string, whose
 * hash V8 has already computed). Identical bytes always decode to the same labels, so a hit answers
 * exactly what decoding would. Bounded: cleared when full, like the string cache.
 */

const MAX_ENTRIES = 1 << 17;
/** Label blocks longer than this are not cached (they are rare and costly to copy). */
export const MAX_CACHED_BLOCK_BYTES = 2048;
const TAG_LABEL = 0x0a; // TimeSeries.labels = 1, length-delimited

export interface CachedLabels {
  readonly bytes: Buffer;
  readonly key: string;
  readonly labels: Labels;
}

const cache = new Map<number, CachedLabels>();

/**
 * End offset of the run of Label fields (tag 1, length-delimited) that starts at `pos`, or -1 when
 * there is none, it is malformed (the decoder reports that) or longer than the cacheable size.
 */
export function labelBlockEnd(buf: Buffer, pos: number, limit: number): number {
  let p = pos;
  const max = Math.min(limit, pos + MAX_CACHED_BLOCK_BYTES);
  while (p < max && buf[p] === TAG_LABEL) {
    p++;
    let len = 0;
    let shift = 0;
    let b = 0x80;
    while (b >= 0x80) {
      if (p >= max || shift > 21) return -1;
      b = buf[p++] as number;
      len |= (b & 0x7f) << shift;
      shift += 7;
    }
    p += len;
    if (p > max) return -1;
  }
  return p === pos ? -1 : p;
}

/** FNV-1a over 4-byte words (plus the tail), mixed with the length. */
export function hashBlock(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  let i = start;
  for (const stop = end - 3; i < stop; i += 4) {
    h = Math.imul(h ^ ((buf[i] as number) | ((buf[i + 1] as number) << 8) | ((buf[i + 2] as number) << 16) | ((buf[i + 3] as number) << 24)), 16777619);
  }
  for (; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 16777619);
  return h >>> 0;
}

export function lookupLabels(hash: number, buf: Buffer, start: number, end: number): CachedLabels | undefined {
  const hit = cache.get(hash);
  if (hit === undefined || hit.bytes.length !== end - start) return undefined;
  return buf.compare(hit.bytes, 0, hit.bytes.length, start, end) === 0 ? hit : undefined;
}

export function rememberLabels(hash: number, buf: Buffer, start: number, end: number, key: string, labels: Labels): void {
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(hash, { bytes: Buffer.from(buf.subarray(start, end)), key, labels });
}

/** Empties the cache (tests). */
export function clearLabelCache(): void {
  cache.clear();
}
