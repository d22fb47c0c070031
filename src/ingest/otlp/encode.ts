import { ProtoWriter } from '../remote-write/proto-writer.js';
import type { AttrValue, Attribute, ConsumeResult, OtlpTraces } from './types.js';

/**
 * Encoders for OTLP traces: tests (round trips, fuzzing) and benchmarks build requests with these,
 * and the receiver encodes its ExportTraceServiceResponse with them.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

function writeAny(w: ProtoWriter, v: AttrValue): void {
  if (typeof v === 'string') w.tag(1, WIRE_LEN).string(v);
  else if (typeof v === 'boolean') w.tag(2, WIRE_VARINT).uint32(v ? 1 : 0);
  else if (typeof v === 'bigint') {
    w.tag(3, WIRE_VARINT);
    let u = BigInt.asUintN(64, v);
    const bytes: number[] = [];
    while (u > 0x7fn) {
      bytes.push(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    bytes.push(Number(u));
    w.raw(Uint8Array.from(bytes));
  } else if (typeof v === 'number') w.tag(4, WIRE_FIXED64).double(v);
  else if (v instanceof Uint8Array) w.tag(7, WIRE_LEN).bytes(v);
  else if ('array' in v) {
    w.tag(5, WIRE_LEN);
    const s = w.begin();
    for (const item of v.array) {
      w.tag(1, WIRE_LEN);
      const i = w.begin();
      writeAny(w, item);
      w.end(i);
    }
    w.end(s);
  } else {
    w.tag(6, WIRE_LEN);
    const s = w.begin();
    for (const kv of v.kvlist) writeKeyValue(w, 1, kv);
    w.end(s);
  }
}

function writeKeyValue(w: ProtoWriter, field: number, kv: Attribute): void {
  w.tag(field, WIRE_LEN);
  const s = w.begin();
  if (kv.key !== '') w.tag(1, WIRE_LEN).string(kv.key);
  if (kv.value !== undefined) {
    w.tag(2, WIRE_LEN);
    const v = w.begin();
    writeAny(w, kv.value);
    w.end(v);
  }
  w.end(s);
}

function fixed64(w: ProtoWriter, field: number, v: bigint): void {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  w.tag(field, WIRE_FIXED64).raw(b);
}

/** ExportTraceServiceRequest as protobuf. */
export function encodeTracesProto(traces: OtlpTraces): Buffer {
  const w = new ProtoWriter(4096);
  for (const rs of traces.resourceSpans) {
    w.tag(1, WIRE_LEN);
    const r = w.begin();
    w.tag(1, WIRE_LEN);
    const res = w.begin();
    for (const a of rs.resource) writeKeyValue(w, 1, a);
    w.end(res);
    for (const ss of rs.scopeSpans) {
      w.tag(2, WIRE_LEN);
      const s = w.begin();
      w.tag(1, WIRE_LEN);
      const sc = w.begin();
      if (ss.scope.name !== '') w.tag(1, WIRE_LEN).string(ss.scope.name);
      if (ss.scope.version !== '') w.tag(2, WIRE_LEN).string(ss.scope.version);
      w.end(sc);
      for (const span of ss.spans) {
        w.tag(2, WIRE_LEN);
        const sp = w.begin();
        if (span.traceId !== '') w.tag(1, WIRE_LEN).bytes(Buffer.from(span.traceId, 'hex'));
        if (span.spanId !== '') w.tag(2, WIRE_LEN).bytes(Buffer.from(span.spanId, 'hex'));
        if (span.parentSpanId !== '') w.tag(4, WIRE_LEN).bytes(Buffer.from(span.parentSpanId, 'hex'));
        if (span.name !== '') w.tag(5, WIRE_LEN).string(span.name);
        if (span.kind !== 0) w.tag(6, WIRE_VARINT).uint32(span.kind);
        if (span.startTimeUnixNano !== 0n) fixed64(w, 7, span.startTimeUnixNano);
        if (span.endTimeUnixNano !== 0n) fixed64(w, 8, span.endTimeUnixNano);
        for (const a of span.attributes) writeKeyValue(w, 9, a);
        if (span.statusCode !== 0 || span.statusMessage !== '') {
          w.tag(15, WIRE_LEN);
          const st = w.begin();
          if (span.statusMessage !== '') w.tag(2, WIRE_LEN).string(span.statusMessage);
          if (span.statusCode !== 0) w.tag(3, WIRE_VARINT).uint32(span.statusCode);
          w.end(st);
        }
        w.end(sp);
      }
      w.end(s);
    }
    w.end(r);
  }
  return w.finish();
}

function anyJson(v: AttrValue): unknown {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'bigint') return { intValue: v.toString() };
  if (typeof v === 'number') return { doubleValue: Number.isFinite(v) ? v : v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN' };
  if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v).toString('base64') };
  if ('array' in v) return { arrayValue: { values: v.array.map(anyJson) } };
  return { kvlistValue: { values: v.kvlist.map(kvJson) } };
}

function kvJson(kv: Attribute): unknown {
  return kv.value === undefined ? { key: kv.key } : { key: kv.key, value: anyJson(kv.value) };
}

/** ExportTraceServiceRequest as an OTLP/JSON object (hex ids, integer enums, int64 as strings). */
export function tracesToJson(traces: OtlpTraces): unknown {
  return {
    resourceSpans: traces.resourceSpans.map((rs) => ({
      resource: { attributes: rs.resource.map(kvJson) },
      scopeSpans: rs.scopeSpans.map((ss) => ({
        scope: { name: ss.scope.name, version: ss.scope.version },
        spans: ss.spans.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId,
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: s.startTimeUnixNano.toString(),
          endTimeUnixNano: s.endTimeUnixNano.toString(),
          attributes: s.attributes.map(kvJson),
          status: { code: s.statusCode, message: s.statusMessage },
        })),
      })),
    })),
  };
}

export function encodeTracesJson(traces: OtlpTraces): Buffer {
  return Buffer.from(JSON.stringify(tracesToJson(traces)));
}

/** ExportTraceServiceResponse (protobuf): partial_success only when something was rejected. */
export function encodeExportResponseProto(result: ConsumeResult): Buffer {
  const w = new ProtoWriter(64);
  if (result.rejected > 0 || result.errorMessage !== '') {
    w.tag(1, WIRE_LEN);
    const s = w.begin();
    if (result.rejected > 0) w.tag(1, WIRE_VARINT).int64(result.rejected);
    if (result.errorMessage !== '') w.tag(2, WIRE_LEN).string(result.errorMessage);
    w.end(s);
  }
  return w.finish();
}

export function exportResponseJson(result: ConsumeResult): unknown {
  if (result.rejected === 0 && result.errorMessage === '') return {};
  return { partialSuccess: { rejectedSpans: String(result.rejected), errorMessage: result.errorMessage } };
}

/** google.rpc.Status{code=1, message=2}: the body of an OTLP/HTTP error response in protobuf. */
export function encodeStatusProto(code: number, message: string): Buffer {
  const w = new ProtoWriter(64 + message.length * 3);
  if (code !== 0) w.tag(1, WIRE_VARINT).uint32(code);
  if (message !== '') w.tag(2, WIRE_LEN).string(message);
  return w.finish();
}
