import http, { type Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import {
  ProtoWriter,
  compressBlock,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  toWriteRequestV2,
} from '../../../src/ingest/remote-write/index.js';
import { WIRE_LEN, WIRE_VARINT } from '../../../src/ingest/remote-write/protobuf-reader.js';
import { PATH, V1_TYPE, V2_TYPE, close, createTestApp, listen } from './remote-write-helpers.js';

const MAX_BODY = 64 * 1024;
const MAX_DECODED = 256 * 1024;
const up = [{ name: '__name__', value: 'up' }, { name: 'job', value: 'api' }];
const v1Body = compressBlock(encodeWriteRequestV1({ timeseries: [{ labels: up, samples: [{ value: 1, timestamp: 1000 }, { value: 2, timestamp: 2000 }] }] }));
const v2Request = toWriteRequestV2([{ labels: up, samples: [{ value: 1, timestamp: 1000 }, { value: 0, timestamp: 2000, stale: true }] }]);
const v2Body = compressBlock(encodeWriteRequestV2(v2Request));

describe('remote_write handler', () => {
  const t = createTestApp({ maxBodyBytes: MAX_BODY, maxDecodedBytes: MAX_DECODED });
  let server: Server;
  const post = (body: Buffer, type: string = V1_TYPE, encoding: string | undefined = 'snappy') => {
    const req = request(server).post(PATH).set('Content-Type', type).timeout(10_000);
    if (encoding !== undefined) req.set('Content-Encoding', encoding);
    return req.send(body);
  };
  const counter = async (code: string): Promise<number> => {
    const m = await t.metrics.ingestRequests.get();
    return m.values.find((v) => v.labels.code === code && v.labels.source === 'remote_write')?.value ?? 0;
  };

  beforeAll(async () => {
    server = await listen(t.app);
  });
  afterAll(async () => {
    await close(server);
  });
  beforeEach(() => {
    t.sink.reset();
  });

  it('stores a 1.0 request and answers 204 without 2.0 headers', async () => {
    const res = await post(v1Body);
    expect(res.status).toBe(204);
    expect(res.headers['x-prometheus-remote-write-samples-written']).toBeUndefined();
    expect(t.sink.calls).toHaveLength(1);
    expect(t.sink.calls[0]?.map((s) => [s.timestampMs, s.value])).toEqual([[1000, 1], [2000, 2]]);
    expect(await counter('204')).toBeGreaterThanOrEqual(1);
  });

  it('treats a missing Content-Encoding as snappy', async () => {
    expect((await post(v1Body, 'application/x-protobuf;proto=prometheus.WriteRequest', undefined)).status).toBe(204);
  });

  it('stores a 2.0 request and sets the written headers', async () => {
    const res = await post(v2Body, V2_TYPE);
    expect(res.status).toBe(204);
    expect(res.headers['x-prometheus-remote-write-samples-written']).toBe('2');
    expect(res.headers['x-prometheus-remote-write-histograms-written']).toBe('0');
    expect(res.headers['x-prometheus-remote-write-exemplars-written']).toBe('0');
    expect(t.sink.calls[0]?.map((s) => s.stale)).toEqual([false, true]);
  });

  it('handles a re-sent identical request the same way (idempotence is the sink\'s job)', async () => {
    const first = await post(v2Body, V2_TYPE);
    const second = await post(v2Body, V2_TYPE);
    expect([first.status, second.status]).toEqual([204, 204]);
    expect(t.sink.calls).toHaveLength(2);
    expect(t.sink.calls[1]).toEqual(t.sink.calls[0]);
    expect(t.sink.stored.size).toBe(2);
    expect(second.headers['x-prometheus-remote-write-samples-written']).toBe('2');
  });

  it('answers 400 with a reason for a truncated protobuf', async () => {
    const proto = encodeWriteRequestV1({ timeseries: [{ labels: up, samples: [{ value: 1, timestamp: 1 }] }] });
    const res = await post(compressBlock(proto.subarray(0, proto.length - 3)));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('bad_protobuf');
    expect(res.body.message).toMatch(/^invalid protobuf at timeseries\[0\]/);
    expect(t.sink.calls).toHaveLength(0);
  });

  it('answers 400 for a body that is not snappy', async () => {
    const res = await post(encodeWriteRequestV1({ timeseries: [{ labels: up, samples: [{ value: 1, timestamp: 1 }] }] }));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('bad_snappy');
  });

  it.each([['text/plain', 'snappy'], ['application/json', 'snappy'], ['application/x-protobuf;proto=foo.Bar', 'snappy'], [V1_TYPE, 'gzip']])(
    'answers 415 for Content-Type %s / Content-Encoding %s',
    async (type, encoding) => {
      const res = await post(v1Body, type, encoding);
      expect(res.status).toBe(415);
      expect(res.body.code).toBe('unsupported_media_type');
      expect(res.body.message).toMatch(/application\/x-protobuf|snappy/);
    },
  );

  it('answers 413 for a body over the cap (Content-Length known)', async () => {
    const res = await post(Buffer.alloc(MAX_BODY + 1, 7));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('body_too_large');
    expect(await counter('413')).toBeGreaterThanOrEqual(1);
  });

  it('answers 413 for a chunked body over the cap without buffering it', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('no address');
      const req = http.request({ host: '127.0.0.1', port: addr.port, path: PATH, method: 'POST', headers: { 'Content-Type': V1_TYPE, 'Content-Encoding': 'snappy' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write(Buffer.alloc(8 * 1024, 1));
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({ code: 'body_too_large', message: `request body exceeds ${MAX_BODY} bytes; the limit is ${MAX_BODY}` });
  });

  it('answers 413 when the snappy header announces more than the decoded cap', async () => {
    const res = await post(compressBlock(Buffer.alloc(MAX_DECODED + 1)));
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/decompressed body would be/);
  });

  it('answers 400 naming a bad 2.0 label ref, and keeps the 2.0 headers at 0', async () => {
    const req = structuredClone(v2Request);
    req.timeseries[0]?.labelsRefs.splice(1, 1, 42);
    const res = await post(compressBlock(encodeWriteRequestV2(req)), V2_TYPE);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'invalid_labels', message: 'timeseries[0]: labels_refs[1] = 42 is out of range (5 symbols)' });
    expect(res.headers['x-prometheus-remote-write-samples-written']).toBe('0');
  });

  it('answers 400 when symbols[0] is not empty', async () => {
    const req = structuredClone(v2Request);
    req.symbols[0] = 'x';
    const res = await post(compressBlock(encodeWriteRequestV2(req)), V2_TYPE);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_symbols');
  });

  it('answers 400 histograms_unsupported for 2.0 native histograms', async () => {
    const req = structuredClone(v2Request);
    if (req.timeseries[0]) req.timeseries[0].histograms = [{ count: 1, sum: 2, timestamp: 3 }];
    const res = await post(compressBlock(encodeWriteRequestV2(req)), V2_TYPE);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('histograms_unsupported');
  });

  it('skips unknown fields', async () => {
    const w = new ProtoWriter();
    w.tag(99, WIRE_VARINT).uint32(1).tag(100, WIRE_LEN).string('future');
    const body = Buffer.concat([w.finish(), encodeWriteRequestV2(v2Request)]);
    const res = await post(compressBlock(body), V2_TYPE);
    expect(res.status).toBe(204);
    expect(t.sink.calls[0]).toHaveLength(2);
  });

  it('answers 503 when the sink fails with a retryable error, and never 429', async () => {
    t.sink.failWith = new AppError('store_busy', 'the series store is busy', { httpStatus: 429, retryable: true });
    const res = await post(v1Body);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ code: 'store_busy', message: 'the series store is busy' });
    t.sink.failWith = new AppError('rate_limited', 'slow down', { httpStatus: 429, retryable: false });
    expect((await post(v1Body)).status).toBe(503);
    expect(await counter('429')).toBe(0);
  });

  it('answers the sink\'s status for a non-retryable AppError and 500 for anything else', async () => {
    t.sink.failWith = new AppError('out_of_bounds', 'too old', { httpStatus: 400 });
    expect((await post(v1Body)).status).toBe(400);
    t.sink.failWith = new Error('boom');
    const res = await post(v1Body);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('sink_failed');
    expect(t.warnings.some((w) => w.msg.includes('rejected'))).toBe(true);
  });

  it('accepts an empty request', async () => {
    expect((await post(compressBlock(Buffer.alloc(0)))).status).toBe(204);
    expect((await post(compressBlock(Buffer.alloc(0)), V2_TYPE)).headers['x-prometheus-remote-write-samples-written']).toBe('0');
  });
});
