import {
  ProtoError,
  ProtoReader,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  protoAt,
} from '../remote-write/protobuf-reader.js';
import type { AttrValue, Attribute, OtlpResourceSpans, OtlpScope, OtlpScopeSpans, OtlpSpan, OtlpTraces } from './types.js';

/** Deepest AnyValue nesting (arrays / kvlists) accepted; protects the stack. */
const MAX_VALUE_DEPTH = 16;
const EMPTY_SCOPE: OtlpScope = { name: '', version: '' };

/**
 * Decodes an ExportTraceServiceRequest (protobuf). Throws a 400 `bad_protobuf` AppError naming the
 * field path on malformed input; unknown fields are skipped.
 */
export function decodeTracesProto(body: Buffer): OtlpTraces {
  const r = new ProtoReader(body);
  const resourceSpans: OtlpResourceSpans[] = [];
  try {
    while (r.pos < r.limit) {
      const tag = r.tag('ExportTraceServiceRequest');
      if (tag >>> 3 === 1) {
        r.expectWire(tag, WIRE_LEN, 'resource_spans');
        const i = resourceSpans.length;
        try {
          resourceSpans.push(readResourceSpans(r));
        } catch (err) {
          throw protoAt(err, `resource_spans[${i}]`);
        }
      } else r.skip(tag & 7, `field${tag >>> 3}`);
    }
  } catch (err) {
    if (err instanceof ProtoError) throw err.toAppError();
    throw err;
  }
  return { resourceSpans };
}

function readResourceSpans(r: ProtoReader): OtlpResourceSpans {
  const saved = r.enter('resource_spans');
  let resource: Attribute[] = [];
  const scopeSpans: OtlpScopeSpans[] = [];
  while (r.pos < r.limit) {
    const tag = r.tag('ResourceSpans');
    const field = tag >>> 3;
    if (field === 1) {
      r.expectWire(tag, WIRE_LEN, 'resource');
      try {
        resource = readResource(r);
      } catch (err) {
        throw protoAt(err, 'resource');
      }
    } else if (field === 2 || field === 1000) {
      // 1000: the deprecated instrumentation_library_spans, same layout.
      r.expectWire(tag, WIRE_LEN, 'scope_spans');
      const i = scopeSpans.length;
      try {
        scopeSpans.push(readScopeSpans(r));
      } catch (err) {
        throw protoAt(err, `scope_spans[${i}]`);
      }
    } else r.skip(tag & 7, `field${field}`);
  }
  r.leave(saved);
  return { resource, scopeSpans };
}

function readResource(r: ProtoReader): Attribute[] {
  const saved = r.enter('resource');
  const attrs: Attribute[] = [];
  while (r.pos < r.limit) {
    const tag = r.tag('Resource');
    if (tag >>> 3 === 1) {
      r.expectWire(tag, WIRE_LEN, 'attributes');
      attrs.push(readKeyValue(r, 0, `attributes[${attrs.length}]`));
    } else r.skip(tag & 7, `field${tag >>> 3}`);
  }
  r.leave(saved);
  return attrs;
}

function readScopeSpans(r: ProtoReader): OtlpScopeSpans {
  const saved = r.enter('scope_spans');
  let scope = EMPTY_SCOPE;
  const spans: OtlpSpan[] = [];
  while (r.pos < r.limit) {
    const tag = r.tag('ScopeSpans');
    const field = tag >>> 3;
    if (field === 1) {
      r.expectWire(tag, WIRE_LEN, 'scope');
      scope = readScope(r);
    } else if (field === 2) {
      r.expectWire(tag, WIRE_LEN, 'spans');
      const i = spans.length;
      try {
        spans.push(readSpan(r));
      } catch (err) {
        throw protoAt(err, `spans[${i}]`);
      }
    } else r.skip(tag & 7, `field${field}`);
  }
  r.leave(saved);
  return { scope, spans };
}

function readScope(r: ProtoReader): OtlpScope {
  const saved = r.enter('scope');
  let name = '';
  let version = '';
  while (r.pos < r.limit) {
    const tag = r.tag('InstrumentationScope');
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === WIRE_LEN) name = r.string('scope.name');
    else if (field === 2 && (tag & 7) === WIRE_LEN) version = r.string('scope.version');
    else r.skip(tag & 7, `scope.field${field}`);
  }
  r.leave(saved);
  return { name, version };
}

function hexField(r: ProtoReader, field: string): string {
  const end = r.lengthEnd(field);
  const start = r.pos;
  r.pos = end;
  return r.buf.toString('hex', start, end);
}

function fixed64(r: ProtoReader, field: string): bigint {
  if (r.pos + 8 > r.limit) throw new ProtoError(`unexpected end of message (offset ${r.pos})`, field);
  const v = r.buf.readBigUInt64LE(r.pos);
  r.pos += 8;
  return v;
}

function readSpan(r: ProtoReader): OtlpSpan {
  const saved = r.enter('span');
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let name = '';
  let kind = 0;
  let start = 0n;
  let end = 0n;
  const attributes: Attribute[] = [];
  let statusCode = 0;
  let statusMessage = '';
  while (r.pos < r.limit) {
    const tag = r.tag('Span');
    const field = tag >>> 3;
    switch (field) {
      case 1:
        r.expectWire(tag, WIRE_LEN, 'trace_id');
        traceId = hexField(r, 'trace_id');
        break;
      case 2:
        r.expectWire(tag, WIRE_LEN, 'span_id');
        spanId = hexField(r, 'span_id');
        break;
      case 4:
        r.expectWire(tag, WIRE_LEN, 'parent_span_id');
        parentSpanId = hexField(r, 'parent_span_id');
        break;
      case 5:
        r.expectWire(tag, WIRE_LEN, 'name');
        name = r.string('name');
        break;
      case 6:
        r.expectWire(tag, WIRE_VARINT, 'kind');
        kind = r.varint32('kind') | 0;
        break;
      case 7:
        r.expectWire(tag, WIRE_FIXED64, 'start_time_unix_nano');
        start = fixed64(r, 'start_time_unix_nano');
        break;
      case 8:
        r.expectWire(tag, WIRE_FIXED64, 'end_time_unix_nano');
        end = fixed64(r, 'end_time_unix_nano');
        break;
      case 9:
        r.expectWire(tag, WIRE_LEN, 'attributes');
        attributes.push(readKeyValue(r, 0, `attributes[${attributes.length}]`));
        break;
      case 15: {
        r.expectWire(tag, WIRE_LEN, 'status');
        const s = r.enter('status');
        while (r.pos < r.limit) {
          const t = r.tag('Status');
          if (t >>> 3 === 2 && (t & 7) === WIRE_LEN) statusMessage = r.string('status.message');
          else if (t >>> 3 === 3 && (t & 7) === WIRE_VARINT) statusCode = r.varint32('status.code') | 0;
          else r.skip(t & 7, `status.field${t >>> 3}`);
        }
        r.leave(s);
        break;
      }
      default:
        r.skip(tag & 7, `field${field}`);
    }
  }
  r.leave(saved);
  return { traceId, spanId, parentSpanId, name, kind, startTimeUnixNano: start, endTimeUnixNano: end, attributes, statusCode, statusMessage };
}

function readKeyValue(r: ProtoReader, depth: number, path: string): Attribute {
  const saved = r.enter(path);
  let key = '';
  let value: AttrValue | undefined;
  while (r.pos < r.limit) {
    const tag = r.tag(path);
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === WIRE_LEN) key = r.string(`${path}.key`);
    else if (field === 2 && (tag & 7) === WIRE_LEN) value = readAnyValue(r, depth, `${path}.value`);
    else r.skip(tag & 7, `${path}.field${field}`);
  }
  r.leave(saved);
  return { key, value };
}

/** int64 varint as bigint (exact over the whole range). */
function varintBig(r: ProtoReader, field: string): bigint {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.limit) throw new ProtoError(`unexpected end of message (offset ${r.pos})`, field);
    const b = r.buf[r.pos++] as number;
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return BigInt.asIntN(64, result);
    shift += 7n;
  }
  throw new ProtoError('varint longer than 10 bytes', field);
}

function readAnyValue(r: ProtoReader, depth: number, path: string): AttrValue | undefined {
  if (depth >= MAX_VALUE_DEPTH) throw new ProtoError('AnyValue nested too deeply', path);
  const saved = r.enter(path);
  let value: AttrValue | undefined;
  while (r.pos < r.limit) {
    const tag = r.tag(path);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === WIRE_LEN) value = r.string(path);
    else if (field === 2 && wire === WIRE_VARINT) value = r.varint32(path) !== 0;
    else if (field === 3 && wire === WIRE_VARINT) value = varintBig(r, path);
    else if (field === 4 && wire === WIRE_FIXED64) value = r.double(path);
    else if ((field === 5 || field === 6) && wire === WIRE_LEN) {
      const inner = r.enter(path);
      const items: AttrValue[] = [];
      const kvs: Attribute[] = [];
      while (r.pos < r.limit) {
        const t = r.tag(path);
        if (t >>> 3 === 1 && (t & 7) === WIRE_LEN) {
          if (field === 5) {
            const v = readAnyValue(r, depth + 1, `${path}[${items.length}]`);
            items.push(v ?? '');
          } else kvs.push(readKeyValue(r, depth + 1, `${path}[${kvs.length}]`));
        } else r.skip(t & 7, `${path}.field${t >>> 3}`);
      }
      r.leave(inner);
      value = field === 5 ? { array: items } : { kvlist: kvs };
    } else if (field === 7 && wire === WIRE_LEN) {
      const end = r.lengthEnd(path);
      value = new Uint8Array(r.buf.subarray(r.pos, end));
      r.pos = end;
    } else r.skip(wire, `${path}.field${field}`);
  }
  r.leave(saved);
  return value;
}

