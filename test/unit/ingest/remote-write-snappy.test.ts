import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import {
  type SnappyImplementationName,
  checkContentEncoding,
  compressBlock,
  contentTypeFor,
  decompressBlock,
  nativeSnappyAvailable,
  remoteWriteVersionOf,
  snappyDecodedLength,
  snappyImplementation,
} from '../../../src/ingest/remote-write/index.js';

const impls: SnappyImplementationName[] = nativeSnappyAvailable() ? ['native', 'snappyjs'] : ['snappyjs'];

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('snappy block codec', () => {
  it('uses the native implementation when it is installed', () => {
    expect(snappyImplementation).toBe(nativeSnappyAvailable() ? 'native' : 'snappyjs');
  });

  it.each(impls)('%s: round trips any bytes, and both implementations agree', (impl) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      const buf = Buffer.from(bytes);
      const compressed = compressBlock(buf, impl);
      expect(decompressBlock(compressed, 1 << 20, impl).equals(buf)).toBe(true);
      for (const other of impls) expect(decompressBlock(compressed, 1 << 20, other).equals(buf)).toBe(true);
    }), { numRuns: 200 });
  });

  it.each(impls)('%s: refuses a block announcing more than the cap before allocating it (413)', (impl) => {
    const header = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]); // 4 GiB - 1 announced
    const err = errorOf(() => decompressBlock(header, 1024, impl));
    expect(err).toMatchObject({ httpStatus: 413, code: 'body_too_large' });
    const real = compressBlock(Buffer.alloc(5000, 1), impl);
    expect(errorOf(() => decompressBlock(real, 4999, impl)).httpStatus).toBe(413);
    expect(decompressBlock(real, 5000, impl).length).toBe(5000);
  });

  it.each(impls)('%s: corrupt input is a readable 400 bad_snappy', (impl) => {
    for (const bad of [Buffer.alloc(0), Buffer.from([0x80]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Buffer.from([0x0a, 0x05, 0x01]), Buffer.from('not snappy at all')]) {
      const err = errorOf(() => decompressBlock(bad, 1 << 20, impl));
      expect(err.httpStatus).toBe(400);
      expect(err.code).toBe('bad_snappy');
      expect(err.message).toMatch(/^body is not a valid snappy block: /);
    }
  });

  it.each(impls)('%s: never throws anything but an AppError on random bytes', (impl) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      try {
        decompressBlock(Buffer.from(bytes), 1 << 16, impl);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        expect([400, 413]).toContain((err as AppError).httpStatus);
      }
    }), { numRuns: 500 });
  });

  it.each(impls)('%s: a literal whose 4-byte length wraps negative is rejected, not looped on (snappyjs hangs on it)', (impl) => {
    const crafted = Buffer.from([10, 0xfc, 0xfa, 0xff, 0xff, 0xff]);
    expect(errorOf(() => decompressBlock(crafted, 100, impl))).toMatchObject({ httpStatus: 400, code: 'bad_snappy' });
  });

  it.each(impls)('%s: rejects a block that decodes to fewer or more bytes than announced', (impl) => {
    const good = compressBlock(Buffer.from('hello hello hello hello'), impl); // 23 bytes announced
    const shorter = Buffer.concat([Buffer.from([24]), good.subarray(1)]);
    const longer = Buffer.concat([Buffer.from([22]), good.subarray(1)]);
    for (const bad of [shorter, longer]) expect(errorOf(() => decompressBlock(bad, 100, impl)).code).toBe('bad_snappy');
  });

  it('reads the length header', () => {
    expect(snappyDecodedLength(Buffer.from([0x00]))).toBe(0);
    expect(snappyDecodedLength(Buffer.from([0xac, 0x02]))).toBe(300);
    expect(snappyDecodedLength(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))).toBe(2 ** 32 - 1);
  });
});

describe('content negotiation', () => {
  it.each([
    ['application/x-protobuf', 'v1'],
    ['application/x-protobuf;proto=prometheus.WriteRequest', 'v1'],
    ['Application/X-Protobuf; proto="prometheus.WriteRequest"', 'v1'],
    ['application/x-protobuf;proto=io.prometheus.write.v2.Request', 'v2'],
    ['application/x-protobuf; charset=binary; proto=io.prometheus.write.v2.Request', 'v2'],
    [contentTypeFor('v2'), 'v2'],
    [contentTypeFor('v1'), 'v1'],
  ])('%s → %s', (ct, version) => {
    expect(remoteWriteVersionOf(ct)).toBe(version);
  });

  it.each([undefined, '', 'application/json', 'application/x-protobuf;proto=io.prometheus.write.v3.Request', 'text/plain;proto=prometheus.WriteRequest'])(
    '%s → 415 naming what is accepted',
    (ct) => {
      const err = errorOf(() => remoteWriteVersionOf(ct));
      expect(err).toMatchObject({ httpStatus: 415, code: 'unsupported_media_type' });
      expect(err.message).toMatch(/accepted: application\/x-protobuf .*proto=io\.prometheus\.write\.v2\.Request/);
    },
  );

  it('accepts snappy or no Content-Encoding, nothing else', () => {
    expect(() => checkContentEncoding(undefined)).not.toThrow();
    expect(() => checkContentEncoding('snappy')).not.toThrow();
    expect(() => checkContentEncoding(' Snappy ')).not.toThrow();
    for (const ce of ['gzip', 'identity', 'zstd', '']) {
      expect(errorOf(() => checkContentEncoding(ce))).toMatchObject({ httpStatus: 415, code: 'unsupported_media_type' });
    }
  });
});
