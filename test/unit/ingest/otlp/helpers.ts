import fc from 'fast-check';
import type { AttrValue, Attribute, OtlpSpan, OtlpTraces } from '../../../../src/ingest/otlp/types.js';

export const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

const leaf: fc.Arbitrary<AttrValue> = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)),
  fc.uint8Array({ maxLength: 8 }),
);

const value: fc.Arbitrary<AttrValue> = fc.oneof(
  { weight: 5, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }).map((array) => ({ array })) },
  { weight: 1, arbitrary: fc.array(fc.record({ key: fc.string({ minLength: 1 }), value: leaf }), { maxLength: 3 }).map((kvlist) => ({ kvlist })) },
);

export const attribute: fc.Arbitrary<Attribute> = fc.record({ key: fc.string({ minLength: 1 }), value });

const u64 = fc.bigInt({ min: 1n, max: (1n << 64n) - 1n });

export const span: fc.Arbitrary<OtlpSpan> = fc.record({
  traceId: hex(16),
  spanId: hex(8),
  parentSpanId: fc.oneof(fc.constant(''), hex(8)),
  name: fc.string(),
  kind: fc.integer({ min: 0, max: 5 }),
  startTimeUnixNano: u64,
  endTimeUnixNano: u64,
  attributes: fc.array(attribute, { maxLength: 4 }),
  statusCode: fc.integer({ min: 0, max: 2 }),
  statusMessage: fc.string(),
});

export const traces: fc.Arbitrary<OtlpTraces> = fc.record({
  resourceSpans: fc.array(
    fc.record({
      resource: fc.array(attribute, { maxLength: 3 }),
      scopeSpans: fc.array(fc.record({ scope: fc.record({ name: fc.string(), version: fc.string() }), spans: fc.array(span, { maxLength: 4 }) }), { maxLength: 3 }),
    }),
    { maxLength: 3 },
  ),
});

let seq = 1;
/** A valid request span for service `service` ending at `endMs`. */
export function mkSpan(endMs: number, o: Partial<OtlpSpan> & { durationMs?: number } = {}): OtlpSpan {
  const n = seq++;
  const durationMs = o.durationMs ?? 100;
  return {
    traceId: n.toString(16).padStart(32, '0'),
    spanId: n.toString(16).padStart(16, '0'),
    parentSpanId: '',
    name: 'GET /',
    kind: 2,
    startTimeUnixNano: BigInt(endMs - durationMs) * 1_000_000n,
    endTimeUnixNano: BigInt(endMs) * 1_000_000n,
    attributes: [],
    statusCode: 0,
    statusMessage: '',
    ...o,
  };
}

export function mkTraces(service: string | undefined, spans: OtlpSpan[], resource: Attribute[] = []): OtlpTraces {
  const res = service === undefined ? resource : [{ key: 'service.name', value: service }, ...resource];
  return { resourceSpans: [{ resource: res, scopeSpans: [{ scope: { name: 's', version: '1' }, spans }] }] };
}
