import { badRequest } from '../../lib/errors.js';
import {
  SPAN_KIND_CLIENT,
  SPAN_KIND_CONSUMER,
  SPAN_KIND_INTERNAL,
  SPAN_KIND_PRODUCER,
  SPAN_KIND_SERVER,
  STATUS_ERROR,
  STATUS_OK,
  type AttrValue,
  type Attribute,
  type OtlpResourceSpans,
  type OtlpSpan,
  type OtlpTraces,
} from '../otlp/types.js';

/**
 * The older Jaeger query JSON (`GET /api/traces`, internal to the Jaeger UI):
 * {data: [{traceID, spans: [{traceID, spanID, operationName, references, startTime (µs), duration (µs),
 * tags: [{key, type, value}], processID}], processes: {p1: {serviceName, tags}}}]}
 */
interface LegacyTag {
  key?: unknown;
  type?: unknown;
  value?: unknown;
}

const KINDS: Record<string, number> = {
  server: SPAN_KIND_SERVER,
  client: SPAN_KIND_CLIENT,
  producer: SPAN_KIND_PRODUCER,
  consumer: SPAN_KIND_CONSUMER,
  internal: SPAN_KIND_INTERNAL,
};

function tagValue(tag: LegacyTag): AttrValue | undefined {
  const v = tag.value;
  switch (String(tag.type ?? '').toLowerCase()) {
    case 'bool':
      return v === true || v === 'true';
    case 'int64':
      return typeof v === 'number' || (typeof v === 'string' && /^-?\d+$/.test(v)) ? BigInt(typeof v === 'number' ? Math.trunc(v) : v) : undefined;
    case 'float64':
      return typeof v === 'number' ? v : Number(v);
    case 'binary':
      return typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : undefined;
    default:
      return v === undefined || v === null ? undefined : typeof v === 'string' ? v : String(v);
  }
}

function tags(v: unknown): Attribute[] {
  if (!Array.isArray(v)) return [];
  const out: Attribute[] = [];
  for (const t of v as LegacyTag[]) {
    if (t === null || typeof t !== 'object' || typeof t.key !== 'string') continue;
    out.push({ key: t.key, value: tagValue(t) });
  }
  return out;
}

/** Jaeger ids are hex without leading zeros sometimes; OTLP wants 32 / 16 digits. */
function hexId(v: unknown, digits: number): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{1,32}$/.test(v)) return '';
  return v.toLowerCase().padStart(digits, '0').slice(-digits);
}

function micros(v: unknown): bigint {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return BigInt(Math.trunc(v)) * 1000n;
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v) * 1000n;
  return 0n;
}

/** Converts a legacy `/api/traces` response to OTLP traces, one resource per (trace, process). */
export function legacyTracesToOtlp(body: unknown): OtlpTraces {
  if (body === null || typeof body !== 'object' || !Array.isArray((body as { data?: unknown }).data)) {
    throw badRequest('bad_jaeger_response', 'expected {data: [...]} from /api/traces');
  }
  const resourceSpans: OtlpResourceSpans[] = [];
  for (const trace of (body as { data: unknown[] }).data) {
    if (trace === null || typeof trace !== 'object') continue;
    const t = trace as { traceID?: unknown; spans?: unknown; processes?: unknown };
    const processes = (t.processes && typeof t.processes === 'object' ? t.processes : {}) as Record<string, { serviceName?: unknown; tags?: unknown }>;
    const byProcess = new Map<string, OtlpSpan[]>();
    for (const raw of Array.isArray(t.spans) ? (t.spans as Array<Record<string, unknown>>) : []) {
      if (raw === null || typeof raw !== 'object') continue;
      const attributes = tags(raw.tags);
      let parent = hexId(raw.parentSpanID, 16);
      if (Array.isArray(raw.references)) {
        const ref = (raw.references as Array<Record<string, unknown>>).find((r) => r && r.refType === 'CHILD_OF') ?? (raw.references as Array<Record<string, unknown>>)[0];
        if (ref && typeof ref === 'object') parent = hexId(ref.spanID, 16);
      }
      const kindTag = attributes.find((a) => a.key === 'span.kind')?.value;
      const errorTag = attributes.find((a) => a.key === 'error')?.value;
      const otelStatus = attributes.find((a) => a.key === 'otel.status_code')?.value;
      const start = micros(raw.startTime);
      const statusCode = errorTag === true || errorTag === 'true' || otelStatus === 'ERROR' ? STATUS_ERROR : otelStatus === 'OK' ? STATUS_OK : 0;
      const span: OtlpSpan = {
        traceId: hexId(raw.traceID ?? t.traceID, 32),
        spanId: hexId(raw.spanID, 16),
        parentSpanId: parent,
        name: typeof raw.operationName === 'string' ? raw.operationName : '',
        kind: typeof kindTag === 'string' ? (KINDS[kindTag.toLowerCase()] ?? 0) : 0,
        startTimeUnixNano: start,
        endTimeUnixNano: start === 0n ? 0n : start + micros(raw.duration),
        attributes,
        statusCode,
        statusMessage: '',
      };
      const pid = typeof raw.processID === 'string' ? raw.processID : '';
      const list = byProcess.get(pid);
      if (list) list.push(span);
      else byProcess.set(pid, [span]);
    }
    for (const [pid, spans] of byProcess) {
      const proc = processes[pid];
      const resource: Attribute[] = [];
      if (proc && typeof proc.serviceName === 'string') resource.push({ key: 'service.name', value: proc.serviceName });
      resource.push(...tags(proc?.tags));
      resourceSpans.push({ resource, scopeSpans: [{ scope: { name: 'jaeger', version: '' }, spans }] });
    }
  }
  return { resourceSpans };
}
