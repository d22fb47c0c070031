/**
 * The parts of an OTLP ExportTraceServiceRequest aiopsd reads (opentelemetry/proto/trace/v1), as plain
 * values. Decoded from protobuf (decode-proto.ts) or OTLP/JSON (decode-json.ts); fields aiopsd does not
 * read (events, links, trace_state, dropped counts, schema URLs) are skipped.
 */

/** AnyValue: string, bool, double (number), int64 (bigint), bytes, array, or key/value list. */
export type AttrValue = string | boolean | number | bigint | Uint8Array | AttrArray | AttrKvList;
export interface AttrArray {
  readonly array: readonly AttrValue[];
}
export interface AttrKvList {
  readonly kvlist: readonly Attribute[];
}
export interface Attribute {
  readonly key: string;
  /** undefined when the AnyValue was empty. */
  readonly value: AttrValue | undefined;
}

/** Span.SpanKind */
export const SPAN_KIND_UNSPECIFIED = 0;
export const SPAN_KIND_INTERNAL = 1;
export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;
export const SPAN_KIND_PRODUCER = 4;
export const SPAN_KIND_CONSUMER = 5;
/** Status.StatusCode */
export const STATUS_UNSET = 0;
export const STATUS_OK = 1;
export const STATUS_ERROR = 2;

export interface OtlpSpan {
  /** Lower-case hex; '' when absent. A valid trace id is 32 hex digits, not all zero. */
  readonly traceId: string;
  /** Lower-case hex; 16 digits when valid. */
  readonly spanId: string;
  /** Lower-case hex; '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  /** Unix epoch nanoseconds (fixed64); 0n when absent. */
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: readonly Attribute[];
  readonly statusCode: number;
  readonly statusMessage: string;
}

export interface OtlpScope {
  readonly name: string;
  readonly version: string;
}

export interface OtlpScopeSpans {
  readonly scope: OtlpScope;
  readonly spans: readonly OtlpSpan[];
}

export interface OtlpResourceSpans {
  readonly resource: readonly Attribute[];
  readonly scopeSpans: readonly OtlpScopeSpans[];
}

export interface OtlpTraces {
  readonly resourceSpans: readonly OtlpResourceSpans[];
}

/** What a consumer of decoded traces reports back; rejected spans become partial_success. */
export interface ConsumeResult {
  readonly accepted: number;
  readonly rejected: number;
  /** Why spans were rejected (empty when none were). */
  readonly errorMessage: string;
}

/** Takes decoded traces (the RED aggregator). Throw a retryable AppError to signal overload (503). */
export interface SpanConsumer {
  consume(traces: OtlpTraces): ConsumeResult;
}

export function spanCount(traces: OtlpTraces): number {
  let n = 0;
  for (const rs of traces.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}

/** First attribute with `key` as a string (ints/doubles/bools stringified); undefined when absent. */
export function attrString(attrs: readonly Attribute[], key: string): string | undefined {
  for (const a of attrs) {
    if (a.key !== key) continue;
    const v = a.value;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
    return undefined;
  }
  return undefined;
}

/** First attribute with `key` as a number (ints, doubles, numeric strings); undefined otherwise. */
export function attrNumber(attrs: readonly Attribute[], key: string): number | undefined {
  for (const a of attrs) {
    if (a.key !== key) continue;
    const v = a.value;
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    return undefined;
  }
  return undefined;
}
