import fc from 'fast-check';
import { decompressBlock } from './src/ingest/remote-write/snappy.js';
for (const impl of ['native','snappyjs'] as const) {
let t = performance.now(); let slow: [number, number[]][] = [];
fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
  const t0 = performance.now();
  try { decompressBlock(Buffer.from(bytes), 1 << 16, impl); } catch { /* */ }
  const dt = performance.now() - t0; if (dt > 5) slow.push([dt, Array.from(bytes.slice(0, 12))]);
}), { numRuns: 500 });
console.log(impl, performance.now() - t, slow.slice(0,5));
}
