import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import {
  ProtoReader,
  ProtoWriter,
  decodeWriteRequestV1,
  decodeWriteRequestV2,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  isValidLabelName,
  toWriteRequestV2,
} from '../../../src/ingest/remote-write/index.js';
import fc from 'fast-check';
import { decodeString } from '../../../src/ingest/remote-write/intern.js';
import { WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_START_GROUP, WIRE_END_GROUP, WIRE_VARINT } from '../../../src/ingest/remote-write/protobuf-reader.js';

function catchAppError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

const up = [{ name: '__name__', value: 'up' }, { name: 'job', value: 'api' }];

/** Writes one of every kind of unknown field (varint, fixed64, bytes, group with a nested field, fixed32). */
function unknownFields(w: ProtoWriter, field: number): void {
  w.tag(field, WIRE_VARINT).int64(-5);
  w.tag(field + 1, WIRE_FIXED64).double(1.5);
  w.tag(field + 2, WIRE_LEN).bytes(Buffer.from('junk'));
  w.tag(field + 3, WIRE_START_GROUP);
  w.tag(1, WIRE_VARINT).uint32(7);
  w.tag(2, WIRE_START_GROUP).tag(2, WIRE_END_GROUP);
  w.tag(field + 3, WIRE_END_GROUP);
  w.tag(field + 4, WIRE_FIXED32).raw(Buffer.from([1, 2, 3, 4]));
}

describe('ProtoReader', () => {
  it('reads varints of every length, including negative int64 as 10 bytes', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 28 - 1, 2 ** 28, 2 ** 31, 2 ** 32 - 1, 2 ** 35, 2 ** 53 - 1, -1, -2, -(2 ** 31), -(2 ** 53 - 1)]) {
      const buf = new ProtoWriter().int64(v).finish();
      const r = new ProtoReader(buf);
      expect(r.varint64('x')).toBe(v);
      expect(r.pos).toBe(buf.length);
    }
  });

  it('rejects a truncated varint and a varint longer than 10 bytes', () => {
    expect(() => new ProtoReader(Buffer.from([0x80, 0x80])).varint64('ts')).toThrow(/unexpected end/);
    expect(() => new ProtoReader(Buffer.alloc(11, 0xff)).varint64('ts')).toThrow(/longer than 10 bytes/);
    expect(() => new ProtoReader(Buffer.alloc(11, 0xff)).varint32('len')).toThrow(/longer than 10 bytes/);
  });

  it('does not read a sub-message past its own length', () => {
    const r = new ProtoReader(Buffer.from([0x02, 0x09, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]));
    const saved = r.enter('msg');
    r.tag('tag');
    expect(() => r.double('value')).toThrow(/unexpected end/);
    expect(saved).toBe(11);
  });

  it('decodes strings through the intern cache without ever returning another string', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 80 }), { maxLength: 50 }), (strings) => {
      const buf = Buffer.from(strings.join(''));
      let at = 0;
      for (const s of strings) {
        const end = at + Buffer.byteLength(s);
        expect(decodeString(buf, at, end)).toBe(s);
        expect(decodeString(buf, at, end)).toBe(s);
        at = end;
      }
    }), { numRuns: 300 });
  });

  it('validates label names', () => {
    for (const ok of ['a', '_', '__name__', 'A9_z']) expect(isValidLabelName(ok)).toBe(true);
    for (const bad of ['', '9a', 'a-b', 'é', 'a b', 'a.b']) expect(isValidLabelName(bad)).toBe(false);
  });
});

describe('decodeWriteRequestV1', () => {
  it('skips unknown fields of every wire type at every level, metadata, exemplars and histograms', () => {
    const w = new ProtoWriter();
    unknownFields(w, 10);
    w.tag(3, WIRE_LEN).bytes(Buffer.from([0x08, 0x01])); // metadata
    const ts = w.tag(1, WIRE_LEN).begin();
    unknownFields(w, 20);
    w.tag(3, WIRE_LEN).bytes(Buffer.from([0x11, 0, 0, 0, 0, 0, 0, 0, 0])); // exemplar
    w.tag(4, WIRE_LEN).bytes(Buffer.from([0x08, 0x01])); // histogram
    const s = w.tag(2, WIRE_LEN).begin(); // sample before labels
    unknownFields(w, 30);
    w.tag(1, WIRE_FIXED64).double(42).tag(2, WIRE_VARINT).int64(1000);
    w.end(s);
    const l = w.tag(1, WIRE_LEN).begin();
    unknownFields(w, 40);
    w.tag(1, WIRE_LEN).string('__name__').tag(2, WIRE_LEN).string('up');
    w.end(l);
    w.end(ts);
    const out = decodeWriteRequestV1(w.finish());
    expect(out.samples).toEqual([{ labels: { __name__: 'up' }, timestampMs: 1000, value: 42, stale: false }]);
    expect(out).toMatchObject({ series: 1, exemplars: 1, histograms: 1 });
  });

  it('keeps an ordinary NaN with another payload as not stale', () => {
    const w = new ProtoWriter();
    const ts = w.tag(1, WIRE_LEN).begin();
    w.tag(1, WIRE_LEN).bytes(Buffer.from([0x0a, 0x08, ...Buffer.from('__name__'), 0x12, 0x01, 0x6d]));
    const s = w.tag(2, WIRE_LEN).begin();
    // NaN 0x7ff0000000000001: one bit away from the stale marker.
    w.tag(1, WIRE_FIXED64).raw(Buffer.from([1, 0, 0, 0, 0, 0, 0xf0, 0x7f]));
    w.end(s);
    w.end(ts);
    const out = decodeWriteRequestV1(w.finish());
    expect(out.samples[0]?.stale).toBe(false);
    expect(Number.isNaN(out.samples[0]?.value)).toBe(true);
  });

  it('names the timeseries, sample and field of a truncated message', () => {
    const full = encodeWriteRequestV1({ timeseries: [{ labels: up, samples: [{ value: 1, timestamp: 5 }] }, { labels: up, samples: [{ value: 1, timestamp: 5 }] }] });
    // Drop the last byte and patch nothing: the outer length of timeseries[1] now overruns.
    const err = catchAppError(() => decodeWriteRequestV1(full.subarray(0, full.length - 1)));
    expect(err.httpStatus).toBe(400);
    expect(err.code).toBe('bad_protobuf');
    expect(err.message).toMatch(/timeseries\[1\]/);
  });

  it('reports a bad field inside a sample with its full path', () => {
    const w = new ProtoWriter();
    const ts = w.tag(1, WIRE_LEN).begin();
    w.tag(1, WIRE_LEN).bytes(Buffer.from([0x0a, 0x08, ...Buffer.from('__name__'), 0x12, 0x01, 0x6d]));
    w.tag(2, WIRE_LEN).bytes(Buffer.from([0x09, 0, 0, 0])); // value cut short inside the sample
    w.end(ts);
    const err = catchAppError(() => decodeWriteRequestV1(w.finish()));
    expect(err.message).toBe('invalid protobuf at timeseries[0].samples[0].value: unexpected end of message (offset 20, message ends at 23)');
  });

  it('rejects a known field with the wrong wire type', () => {
    const w = new ProtoWriter();
    w.tag(1, WIRE_VARINT).uint32(3);
    expect(catchAppError(() => decodeWriteRequestV1(w.finish())).message).toMatch(/timeseries: wrong wire type varint/);
  });

  it.each([
    [[{ name: 'job', value: 'x' }], /timeseries\[0\]: the series has no __name__/],
    [[{ name: '__name__', value: '' }], /no __name__ label/],
    [[...up, { name: '', value: 'x' }], /timeseries\[0\]: labels\[2\] has an empty label name/],
    [[...up, { name: '1abc', value: 'x' }], /labels\[2\] has invalid label name "1abc"/],
    [[...up, { name: 'job', value: 'again' }], /labels\[2\] repeats label name "job"/],
  ])('rejects invalid label sets (%#)', (labels, message) => {
    const body = encodeWriteRequestV1({ timeseries: [{ labels: up, samples: [] }, { labels, samples: [{ value: 1, timestamp: 1 }] }].slice(1) });
    const err = catchAppError(() => decodeWriteRequestV1(body));
    expect(err).toMatchObject({ httpStatus: 400, code: 'invalid_labels' });
    expect(err.message).toMatch(message);
  });

  it('decodes an empty request to nothing', () => {
    expect(decodeWriteRequestV1(Buffer.alloc(0)).samples).toEqual([]);
  });
});

describe('decodeWriteRequestV2', () => {
  const base = toWriteRequestV2([{ labels: up, samples: [{ value: 1, timestamp: 10 }] }]);

  it('accepts both start-timestamp layouts, exemplars and metadata, and counts exemplars', () => {
    const req = toWriteRequestV2([{ labels: up, samples: [{ value: 1, timestamp: 10, startTimestamp: 5 }] }]);
    const ts = req.timeseries[0];
    if (ts === undefined) throw new Error('no series');
    ts.createdTimestamp = 4;
    ts.metadata = { type: 1, helpRef: 0, unitRef: 0 };
    ts.exemplars = [{ labelsRefs: [1, 2], value: 3, timestamp: 9 }, { labelsRefs: [], value: 4, timestamp: 9 }];
    const out = decodeWriteRequestV2(encodeWriteRequestV2(req));
    expect(out.samples).toEqual([{ labels: { __name__: 'up', job: 'api' }, timestampMs: 10, value: 1, stale: false }]);
    expect(out).toMatchObject({ version: 'v2', exemplars: 2, histograms: 0, series: 1 });
  });

  it('accepts symbols written after the series and unpacked label refs', () => {
    const w = new ProtoWriter();
    unknownFields(w, 10);
    const ts = w.tag(5, WIRE_LEN).begin();
    for (const ref of [1, 2]) w.tag(1, WIRE_VARINT).uint32(ref);
    unknownFields(w, 20);
    const s = w.tag(2, WIRE_LEN).begin();
    w.tag(1, WIRE_FIXED64).double(7).tag(2, WIRE_VARINT).int64(70);
    w.end(s);
    w.end(ts);
    for (const sym of ['', '__name__', 'x']) w.tag(4, WIRE_LEN).string(sym);
    expect(decodeWriteRequestV2(w.finish()).samples).toEqual([{ labels: { __name__: 'x' }, timestampMs: 70, value: 7, stale: false }]);
  });

  it('rejects a label ref out of range, naming it', () => {
    const req = structuredClone(base);
    req.timeseries[0]?.labelsRefs.splice(3, 1, 99);
    const err = catchAppError(() => decodeWriteRequestV2(encodeWriteRequestV2(req)));
    expect(err).toMatchObject({ httpStatus: 400, code: 'invalid_labels' });
    expect(err.message).toBe('timeseries[0]: labels_refs[3] = 99 is out of range (5 symbols)');
  });

  it('rejects an odd number of label refs', () => {
    const req = structuredClone(base);
    req.timeseries[0]?.labelsRefs.pop();
    expect(catchAppError(() => decodeWriteRequestV2(encodeWriteRequestV2(req))).message).toMatch(/odd length 3/);
  });

  it('rejects symbols[0] that is not the empty string, and a missing symbols table', () => {
    const req = structuredClone(base);
    req.symbols[0] = 'oops';
    const err = catchAppError(() => decodeWriteRequestV2(encodeWriteRequestV2(req)));
    expect(err).toMatchObject({ httpStatus: 400, code: 'invalid_symbols' });
    expect(err.message).toMatch(/symbols\[0\] must be the empty string, got "oops"/);
    const none = catchAppError(() => decodeWriteRequestV2(encodeWriteRequestV2({ symbols: [], timeseries: [{ labelsRefs: [], samples: [] }] })));
    expect(none.code).toBe('invalid_symbols');
  });

  it('rejects metadata refs out of range', () => {
    const req = structuredClone(base);
    if (req.timeseries[0]) req.timeseries[0].metadata = { type: 1, helpRef: 50, unitRef: 0 };
    expect(catchAppError(() => decodeWriteRequestV2(encodeWriteRequestV2(req))).message).toMatch(/metadata.help_ref = 50 is out of range/);
  });

  it('rejects requests carrying native histograms', () => {
    const req = structuredClone(base);
    if (req.timeseries[0]) req.timeseries[0].histograms = [{ count: 3, sum: 1.5, timestamp: 10 }];
    const err = catchAppError(() => decodeWriteRequestV2(encodeWriteRequestV2(req)));
    expect(err).toMatchObject({ httpStatus: 400, code: 'histograms_unsupported' });
    expect(err.message).toMatch(/timeseries\[0\]: native histograms are not supported/);
  });

  it('validates label names resolved from symbols', () => {
    const req = toWriteRequestV2([{ labels: [...up, { name: 'bad-name', value: 'x' }], samples: [] }]);
    expect(catchAppError(() => decodeWriteRequestV2(encodeWriteRequestV2(req))).message).toMatch(
      /timeseries\[0\]: labels_refs\[4\.\.5\] has invalid label name "bad-name"/,
    );
  });
});

describe('remote_write refuses a NUL in a label value', () => {
  it('answers 400 invalid_labels naming the label', async () => {
    const { encodeWriteRequestV1, decodeWriteRequestV1 } = await import('../../../src/ingest/remote-write/index.js');
    const body = encodeWriteRequestV1({ timeseries: [{ labels: [{ name: '__name__', value: 'up' }, { name: 'zone', value: 'a\u0000b' }], samples: [{ value: 1, timestamp: 1 }] }] });
    expect(() => decodeWriteRequestV1(body)).toThrow(/NUL character/);
  });
});
