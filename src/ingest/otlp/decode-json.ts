import { badRequest } from '../../lib/errors.js';
import type { AttrValue, Attribute, OtlpResourceSpans, OtlpScopeSpans, OtlpSpan, OtlpTraces } from './types.js';

/**
 * Decodes OTLP/JSON (ExportTraceServiceRequest, or Jaeger's `{result: {...}}` wrapper after unwrapping).
 * Follows the OTLP JSON rules: ids are hex strings, enums are integers (names are accepted too),
 * int64 values may be strings or numbers, and unknown fields are ignored. Both lowerCamelCase
 * (the spec) and snake_case (proto field names, which protobuf JSON parsers also accept) keys work.
 * A known field of the wrong type is a 400 naming its path.
 */
export function decodeTracesJson(body: Buffer | string): OtlpTraces {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (err) {
    throw badRequest('bad_json', `request body is not JSON: ${(err as Error).message}`);
  }
  return tracesFromJson(parsed);
}

/** Converts an already-parsed OTLP/JSON object. */
export function tracesFromJson(parsed: unknown): OtlpTraces {
  const root = obj(parsed, '$');
  const resourceSpans = arr(get(root, 'resourceSpans', 'resource_spans'), 'resourceSpans').map((rs, i) => readResourceSpans(rs, `resourceSpans[${i}]`));
  return { resourceSpans };
}

type Json = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw badRequest('bad_json', `invalid OTLP JSON at ${path}: ${what}`, { path });
}

function obj(v: unknown, path: string): Json {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail(path, 'expected an object');
  return v as Json;
}

function arr(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, 'expected an array');
  return v;
}

function get(o: Json, camel: string, snake: string): unknown {
  const v = o[camel];
  return v === undefined ? o[snake] : v;
}

function str(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(path, 'expected a string');
  return v;
}

const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A trace/span id: hex per the OTLP JSON spec; base64 (what older exporters sent) when it decodes to 8 or 16 bytes. */
function id(v: unknown, path: string): string {
  const s = str(v, path);
  if (s === '') return '';
  if (HEX.test(s) && s.length % 2 === 0) return s.toLowerCase();
  if (BASE64.test(s) && s.length % 4 === 0) {
    const bytes = Buffer.from(s, 'base64');
    if (bytes.length === 8 || bytes.length === 16) return bytes.toString('hex');
  }
  fail(path, 'expected a hex id');
}

const U64_MAX = (1n << 64n) - 1n;

function u64(v: unknown, path: string): bigint {
  if (v === undefined || v === null) return 0n;
  let n: bigint;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) fail(path, 'expected an integer');
    n = BigInt(v);
  } else if (typeof v === 'string' && /^\d+$/.test(v)) n = BigInt(v);
  else fail(path, 'expected an unsigned integer (number or decimal string)');
  if (n < 0n || n > U64_MAX) fail(path, 'out of range for uint64');
  return n;
}

function i64(v: unknown, path: string): bigint {
  let n: bigint;
  if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^-?\d+$/.test(v)) n = BigInt(v);
  else fail(path, 'expected an integer (number or decimal string)');
  if (n !== BigInt.asIntN(64, n)) fail(path, 'out of range for int64');
  return n;
}

function enumValue(v: unknown, names: readonly string[], path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    if (i >= 0) return i;
    if (/^\d+$/.test(v)) return Number(v);
  }
  fail(path, 'expected an integer enum value');
}

const KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const MAX_DEPTH = 16;

function attributes(v: unknown, path: string, depth = 0): Attribute[] {
  return arr(v, path).map((kv, i) => {
    const p = `${path}[${i}]`;
    const o = obj(kv, p);
    return { key: str(o.key, `${p}.key`), value: anyValue(o.value, `${p}.value`, depth) };
  });
}

function anyValue(v: unknown, path: string, depth: number): AttrValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (depth >= MAX_DEPTH) fail(path, 'nested too deeply');
  const o = obj(v, path);
  let x: unknown;
  if ((x = get(o, 'stringValue', 'string_value')) !== undefined) return str(x, path);
  if ((x = get(o, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') fail(path, 'expected a boolean');
    return x;
  }
  if ((x = get(o, 'intValue', 'int_value')) !== undefined) return i64(x, path);
  if ((x = get(o, 'doubleValue', 'double_value')) !== undefined) {
    if (typeof x === 'number') return x;
    if (x === 'NaN') return NaN;
    if (x === 'Infinity') return Infinity;
    if (x === '-Infinity') return -Infinity;
    if (typeof x === 'string' && x.trim() !== '' && !Number.isNaN(Number(x))) return Number(x);
    fail(path, 'expected a number');
  }
  if ((x = get(o, 'arrayValue', 'array_value')) !== undefined) {
    return { array: arr(obj(x, path).values, path).map((item, i) => anyValue(item, `${path}[${i}]`, depth + 1) ?? '') };
  }
  if ((x = get(o, 'kvlistValue', 'kvlist_value')) !== undefined) return { kvlist: attributes(obj(x, path).values, path, depth + 1) };
  if ((x = get(o, 'bytesValue', 'bytes_value')) !== undefined) return new Uint8Array(Buffer.from(str(x, path), 'base64'));
  return undefined;
}

function readResourceSpans(v: unknown, path: string): OtlpResourceSpans {
  const o = obj(v, path);
  const resource = attributes(obj(o.resource, `${path}.resource`).attributes, `${path}.resource.attributes`);
  let scopes = get(o, 'scopeSpans', 'scope_spans');
  if (scopes === undefined) scopes = get(o, 'instrumentationLibrarySpans', 'instrumentation_library_spans');
  const scopeSpans: OtlpScopeSpans[] = arr(scopes, `${path}.scopeSpans`).map((ss, i) => {
    const sp = `${path}.scopeSpans[${i}]`;
    const so = obj(ss, sp);
    const scope = obj(so.scope ?? get(so, 'instrumentationLibrary', 'instrumentation_library'), `${sp}.scope`);
    return {
      scope: { name: str(scope.name, `${sp}.scope.name`), version: str(scope.version, `${sp}.scope.version`) },
      spans: arr(so.spans, `${sp}.spans`).map((s, j) => readSpan(s, `${sp}.spans[${j}]`)),
    };
  });
  return { resource, scopeSpans };
}

function readSpan(v: unknown, path: string): OtlpSpan {
  const o = obj(v, path);
  const status = obj(o.status, `${path}.status`);
  return {
    traceId: id(get(o, 'traceId', 'trace_id'), `${path}.traceId`),
    spanId: id(get(o, 'spanId', 'span_id'), `${path}.spanId`),
    parentSpanId: id(get(o, 'parentSpanId', 'parent_span_id'), `${path}.parentSpanId`),
    name: str(o.name, `${path}.name`),
    kind: enumValue(o.kind, KIND_NAMES, `${path}.kind`),
    startTimeUnixNano: u64(get(o, 'startTimeUnixNano', 'start_time_unix_nano'), `${path}.startTimeUnixNano`),
    endTimeUnixNano: u64(get(o, 'endTimeUnixNano', 'end_time_unix_nano'), `${path}.endTimeUnixNano`),
    attributes: attributes(o.attributes, `${path}.attributes`),
    statusCode: enumValue(status.code, STATUS_NAMES, `${path}.status.code`),
    statusMessage: str(status.message, `${path}.status.message`),
  };
}
