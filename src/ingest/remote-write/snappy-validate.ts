/**
 * Structural check of a snappy block before it is handed to `snappyjs`, which trusts its input:
 * a literal with a 4-byte length can decode to a negative length there, moving the read position
 * backwards forever (a 6-byte body hangs the event loop), and it never checks that the output
 * matches the announced length. This walks the element stream without copying anything and
 * returns a reason when the block is malformed, or undefined when it is sound.
 */
export function snappyBlockProblem(buf: Uint8Array, start: number, expectedLength: number): string | undefined {
  const n = buf.length;
  let pos = start;
  let out = 0;
  while (pos < n) {
    const c = buf[pos++] as number;
    let len: number;
    if ((c & 3) === 0) {
      len = (c >>> 2) + 1;
      if (len > 60) {
        const k = len - 60;
        if (pos + k > n) return `truncated literal length at offset ${pos - 1}`;
        len = 0;
        for (let i = k - 1; i >= 0; i--) len = len * 256 + (buf[pos + i] as number);
        len += 1;
        pos += k;
      }
      if (len > n - pos) return `literal of ${len} bytes at offset ${pos} runs past the end of the body`;
      pos += len;
    } else {
      let offset: number;
      const kind = c & 3;
      const need = kind === 1 ? 1 : kind === 2 ? 2 : 4;
      if (pos + need > n) return `truncated copy at offset ${pos - 1}`;
      if (kind === 1) {
        len = ((c >>> 2) & 7) + 4;
        offset = ((c >>> 5) << 8) + (buf[pos] as number);
      } else {
        len = (c >>> 2) + 1;
        offset = 0;
        for (let i = need - 1; i >= 0; i--) offset = offset * 256 + (buf[pos + i] as number);
      }
      pos += need;
      if (offset === 0 || offset > out) return `copy at offset ${pos - need - 1} refers to ${offset} bytes back, before the start of the output`;
    }
    out += len;
    if (out > expectedLength) return `output exceeds the announced ${expectedLength} bytes`;
  }
  if (out !== expectedLength) return `decoded ${out} bytes but the header announced ${expectedLength}`;
  return undefined;
}
