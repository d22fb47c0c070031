import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import express from 'express';
import request from 'supertest';
import { createOtlpTracesHandler, decodeTracesJson, decodeTracesProto, encodeTracesJson, encodeTracesProto, tracesToJson } from '../../../../src/ingest/otlp/index.js';
import type { ConsumeResult, OtlpTraces, SpanConsumer } from '../../../../src/ingest/otlp/types.js';
import { AppError } from '../../../../src/lib/errors.js';
import { createTestMetrics } from '../../../../src/telemetry/metrics.js';
import { RedAggregator } from '../../../../src/series/red.js';
import { ManualClock } from '../../../../src/lib/clock.js';
import { mkSpan, mkTraces, traces } from './helpers.js';
import { listen } from '../../../integration/ingest/listen.js';
import { ProtoReader } from '../../../../src/ingest/remote-write/protobuf-reader.js';

/** Same structure with NaN-safe comparison (fast-check doubles exclude NaN). */
function norm(t: OtlpTraces): unknown {
  return JSON.parse(JSON.stringify(t, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `b:${Buffer.from(v).toString('hex')}` : v)));
}

describe('OTLP decode', () => {
  it('protobuf encode → decode loses nothing (property)', () => {
    fc.assert(fc.property(traces, (t) => {
      expect(norm(decodeTracesProto(encodeTracesProto(t)))).toEqual(norm(t));
    }), { numRuns: 300 });
  });

  it('JSON encode → decode loses nothing (property)', () => {
    fc.assert(fc.property(traces, (t) => {
      expect(norm(decodeTracesJson(encodeTracesJson(t)))).toEqual(norm(t));
    }), { numRuns: 300 });
  });

  it('accepts snake_case keys, enum names, numeric int64 and ignores unknown fields', () => {
    const body = {
      resource_spans: [{
        resource: { attributes: [{ key: 'service.name', value: { string_value: 'api' } }], dropped_attributes_count: 0 },
        scope_spans: [{ scope: { name: 'x' }, spans: [{
          trace_id: '5B8EFFF798038103D269B633813FC60C', span_id: 'eee19b7ec3c1b174', name: 'op', kind: 'SPAN_KIND_SERVER',
          start_time_unix_nano: 1704067201000000000, end_time_unix_nano: '1704067201100000000',
          attributes: [{ key: 'n', value: { int_value: 7 } }], status: { code: 2 }, futureField: { a: 1 },
        }] }],
      }],
      somethingNew: true,
    };
    const t = decodeTracesJson(JSON.stringify(body));
    const s = t.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(s.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(s.kind).toBe(2);
    expect(s.statusCode).toBe(2);
    expect(s.endTimeUnixNano).toBe(1704067201100000000n);
    expect(s.attributes[0]).toEqual({ key: 'n', value: 7n });
  });

  it('rejects wrong types with a path', () => {
    expect(() => decodeTracesJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}')).toThrow(/resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId/);
    expect(() => decodeTracesJson('{"resourceSpans":{}}')).toThrow(/expected an array/);
    expect(() => decodeTracesProto(Buffer.from([0x0a, 0x05, 0x01]))).toThrow(/resource_spans/);
  });

  it('fixed64 timestamps keep full nanosecond precision', () => {
    const t = mkTraces('a', [mkSpan(0, { startTimeUnixNano: 1704067201123456789n, endTimeUnixNano: 1704067201987654321n })]);
    const s = decodeTracesProto(encodeTracesProto(t)).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(s.startTimeUnixNano).toBe(1704067201123456789n);
    expect(s.endTimeUnixNano).toBe(1704067201987654321n);
  });
});

class FakeConsumer implements SpanConsumer {
  failWith: unknown;
  got: OtlpTraces[] = [];
  consume(t: OtlpTraces): ConsumeResult {
    if (this.failWith) throw this.failWith;
    this.got.push(t);
    return { accepted: 1, rejected: 0, errorMessage: '' };
  }
}

function app(consumer: SpanConsumer, o: { maxBodyBytes?: number; maxDecodedBytes?: number } = {}) {
  const a = express();
  a.post('/v1/traces', createOtlpTracesHandler({ consumer, metrics: createTestMetrics(), maxBodyBytes: o.maxBodyBytes ?? 1 << 20, maxDecodedBytes: o.maxDecodedBytes ?? 1 << 20 }));
  return a;
}

/** Reads ExportTraceServiceResponse.partial_success{rejected_spans, error_message}. */
function readPartial(buf: Buffer): { rejected: number; message: string } {
  const r = new ProtoReader(buf);
  let rejected = 0;
  let message = '';
  while (r.pos < r.limit) {
    r.tag('resp');
    const saved = r.enter('ps');
    while (r.pos < r.limit) {
      const t = r.tag('ps');
      if (t >>> 3 === 1) rejected = r.varint64('rej');
      else message = r.string('msg');
    }
    r.leave(saved);
  }
  return { rejected, message };
}

const binaryParser = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('OTLP/HTTP receiver', () => {
  const clock = new ManualClock(1_704_067_200_000);
  const valid = () => mkTraces('api', [mkSpan(clock.nowMs())]);

  it('accepts protobuf and answers an ExportTraceServiceResponse in protobuf', async () => {
    const c = new FakeConsumer();
    const res = await request(app(c)).post('/v1/traces').set('content-type', 'application/x-protobuf').send(encodeTracesProto(valid())).buffer(true).parse(binaryParser);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/x-protobuf/);
    expect(res.body.length).toBe(0);
    expect(c.got).toHaveLength(1);
  });

  it('answers partial_success for rejected spans (protobuf and JSON)', async () => {
    const red = new RedAggregator({}, clock);
    const t = mkTraces(undefined, [mkSpan(clock.nowMs()), mkSpan(clock.nowMs())]);
    const p = await request(app(red)).post('/v1/traces').set('content-type', 'application/x-protobuf').send(encodeTracesProto(t)).buffer(true).parse(binaryParser);
    expect(p.status).toBe(200);
    expect(readPartial(p.body as Buffer)).toEqual({ rejected: 2, message: 'resource attribute service.name is missing' });
    const j = await request(app(red)).post('/v1/traces').set('content-type', 'application/json').send(JSON.stringify(tracesToJson(t)));
    expect(j.status).toBe(200);
    expect(j.body).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: 'resource attribute service.name is missing' } });
  });

  it('accepts gzip and caps the decompressed size with 413', async () => {
    const c = new FakeConsumer();
    const srv = await listen(app(c, { maxDecodedBytes: 1 << 20 }));
    try {
      const gz = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
      const ok = await fetch(`${srv.url}/v1/traces`, { method: 'POST', headers: gz, body: gzipSync(encodeTracesJson(valid())) });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({});
      const okProto = await fetch(`${srv.url}/v1/traces`, { method: 'POST', headers: { ...gz, 'content-type': 'application/x-protobuf' }, body: gzipSync(encodeTracesProto(valid())) });
      expect(okProto.status).toBe(200);
      const bomb = gzipSync(Buffer.alloc(4 << 20, 0x20));
      expect(bomb.length).toBeLessThan(1 << 20);
      const big = await fetch(`${srv.url}/v1/traces`, { method: 'POST', headers: gz, body: bomb });
      expect(big.status).toBe(413);
      const bad = await fetch(`${srv.url}/v1/traces`, { method: 'POST', headers: gz, body: 'not gzip' });
      expect(bad.status).toBe(400);
      expect(c.got).toHaveLength(2);
    } finally {
      await srv.close();
    }
  });

  it('413 over the body cap, 415 for other content types and encodings, 400 for bad bodies', async () => {
    const c = new FakeConsumer();
    expect((await request(app(c, { maxBodyBytes: 1024 })).post('/v1/traces').set('content-type', 'application/x-protobuf').send(Buffer.alloc(4096))).status).toBe(413);
    expect((await request(app(c)).post('/v1/traces').set('content-type', 'text/plain').send('x')).status).toBe(415);
    expect((await request(app(c)).post('/v1/traces').set('content-type', 'application/json').set('content-encoding', 'br').send('{}')).status).toBe(415);
    const bad = await request(app(c)).post('/v1/traces').set('content-type', 'application/json').send('{"resourceSpans": 5}');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(3);
  });

  it('503 with Retry-After when the consumer is overloaded', async () => {
    const c = new FakeConsumer();
    c.failWith = new AppError('busy', 'busy', { httpStatus: 503, retryable: true });
    const res = await request(app(c)).post('/v1/traces').set('content-type', 'application/json').send(encodeTracesJson(valid()));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('any bytes → 2xx or 4xx, never a crash (property)', async () => {
    const a = app(new RedAggregator({}, clock));
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.constantFrom('application/x-protobuf', 'application/json'), fc.boolean(), async (bytes, ct, gz) => {
      const body = gz ? gzipSync(bytes) : Buffer.from(bytes);
      const req = request(a).post('/v1/traces').set('content-type', ct);
      if (gz) req.set('content-encoding', 'gzip');
      const res = await req.send(body).buffer(true).parse(binaryParser).timeout(5000);
      expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
    }), { numRuns: 200 });
  });
});
