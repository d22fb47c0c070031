import type { Server } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import {
  compressBlock,
  decodeWriteRequestV1,
  decodeWriteRequestV2,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  toWriteRequestV2,
} from '../../../src/ingest/remote-write/index.js';
import { PATH, V1_TYPE, V1_TYPE_PROTO, V2_TYPE, close, createTestApp, listen } from './remote-write-helpers.js';

const up = [{ name: '__name__', value: 'up' }, { name: 'instance', value: 'a:9090' }];
const validV1 = encodeWriteRequestV1({ timeseries: [{ labels: up, samples: [{ value: 1.5, timestamp: 1_700_000_000_000 }, { value: 0, timestamp: 1, stale: true }] }, { labels: up, samples: [] }] });
const v2Req = toWriteRequestV2([{ labels: up, samples: [{ value: 2, timestamp: 1_700_000_000_000, startTimestamp: 5 }] }]);
if (v2Req.timeseries[0]) {
  v2Req.timeseries[0].metadata = { type: 1, helpRef: 1, unitRef: 0 };
  v2Req.timeseries[0].exemplars = [{ labelsRefs: [1, 2], value: 1, timestamp: 3 }];
  v2Req.timeseries[0].createdTimestamp = 4;
}
const validV2 = encodeWriteRequestV2(v2Req);

/** Valid messages with random byte edits: truncation, overwrites, insertions. */
const mutated = (valid: Buffer) =>
  fc.tuple(fc.nat(valid.length), fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.boolean())
    .map(([cut, edits, insert]) => {
      let bytes = Buffer.from(valid);
      for (const [at, b] of edits) {
        if (insert) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([b]), bytes.subarray(at)]);
        else bytes[at] = b;
      }
      return bytes.subarray(0, Math.max(cut, bytes.length - cut));
    });

const protoBytes = fc.oneof(mutated(validV1), mutated(validV2), fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)));

function expectRequestErrorOrSuccess(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).httpStatus).toBe(400);
  }
}

describe('remote_write fuzz', () => {
  it('decoders return or throw a 400 AppError for any bytes', () => {
    fc.assert(fc.property(protoBytes, (bytes) => {
      expectRequestErrorOrSuccess(() => decodeWriteRequestV1(bytes));
      expectRequestErrorOrSuccess(() => decodeWriteRequestV2(bytes));
    }), { numRuns: 3000 });
  });

  describe('over HTTP', () => {
    const t = createTestApp({ maxBodyBytes: 4096, maxDecodedBytes: 16 * 1024 });
    let server: Server;
    beforeAll(async () => {
      server = await listen(t.app);
    });
    afterAll(async () => {
      await close(server);
    });

    const contentType = fc.oneof(
      fc.constantFrom(V1_TYPE, V1_TYPE_PROTO, V2_TYPE, 'application/json', 'text/plain', 'application/x-protobuf;proto=', 'application/x-protobuf;proto'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
    );
    const encoding = fc.option(fc.oneof(fc.constant('snappy'), fc.string({ unit: 'grapheme-ascii', maxLength: 10 })), { nil: undefined });
    const body = fc.oneof(
      protoBytes.map((b) => compressBlock(b)),
      protoBytes,
      fc.uint8Array({ maxLength: 6000 }).map((b) => Buffer.from(b)),
    );

    it('answers any bytes with any headers with a 2xx or 4xx, never a crash or hang', async () => {
      await fc.assert(fc.asyncProperty(body, contentType, encoding, async (bytes, type, enc) => {
        const req = request(server).post(PATH).timeout(5000).set('Content-Type', type);
        if (enc !== undefined) req.set('Content-Encoding', enc);
        const res = await req.send(bytes);
        expect(res.status === 204 || (res.status >= 400 && res.status < 500)).toBe(true);
        expect(res.status).not.toBe(429);
        if (res.status !== 204) expect(typeof res.body.message).toBe('string');
      }), { numRuns: 300, interruptAfterTimeLimit: 25_000 });
      // The server is still healthy afterwards.
      const ok = await request(server).post(PATH).set('Content-Type', V1_TYPE).set('Content-Encoding', 'snappy').send(compressBlock(validV1));
      expect(ok.status).toBe(204);
    });
  });
});
