/**
 * Decodes short ASCII strings through a small cache. Label names and most label values repeat
 * across series and across requests, and Buffer#toString costs ~100 ns per call; a hit here costs a
 * hash and a compare over the bytes, and hands back the same string instance every time (cheaper
 * property keys downstream, less memory held by the series store).
 */

const MAX_INTERNED_LENGTH = 64;
const MAX_ENTRIES = 16384;

const cache = new Map<number, string>();

export function decodeString(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len === 0) return '';
  if (len > MAX_INTERNED_LENGTH) return buf.toString('utf8', start, end);
  let h = 0x811c9dc5;
  let high = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i] as number;
    high |= b;
    h = Math.imul(h ^ b, 16777619);
  }
  if (high >= 0x80) return buf.toString('utf8', start, end);
  h = (h ^ len) >>> 0;
  const hit = cache.get(h);
  if (hit !== undefined && hit.length === len && sameAscii(hit, buf, start)) return hit;
  const str = buf.toString('latin1', start, end);
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(h, str);
  return str;
}

function sameAscii(s: string, buf: Buffer, start: number): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== buf[start + i]) return false;
  }
  return true;
}
