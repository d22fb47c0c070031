/**
 * Fuzzing every decoder with fast-check for a bounded budget (FUZZ_RUNS per property, default 1000):
 * random bytes, random structured values, and mutations of valid inputs. A decoder may reject an input
 * only with its own typed error (AppError and subclasses, ModelFileError); any other exception
 * (TypeError, RangeError, a stack overflow…) is a crash. Each property is timed: no hangs.
 * The number of inputs tried is printed as one `FUZZ {json}` line per decoder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AppError } from '../../src/lib/errors.js';
import { decodeWriteRequestV1 } from '../../src/ingest/remote-write/decode-v1.js';
import { decodeWriteRequestV2 } from '../../src/ingest/remote-write/decode-v2.js';
import { compressBlock, decompressBlock } from '../../src/ingest/remote-write/snappy.js';
import { encodeWriteRequestV1 } from '../../src/ingest/remote-write/encode.js';
import { decodeTracesProto } from '../../src/ingest/otlp/decode-proto.js';
import { decodeTracesJson } from '../../src/ingest/otlp/decode-json.js';
import { parsePolicy } from '../../src/policy/rules.js';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { parseNabCsv } from '../../src/detect/nab/csv.js';
import { fileLoadHandler, ModelFileError } from '../../src/detect/model.js';
import { verifySlackSignature } from '../../src/notify/slack-interactions.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const tried: Record<string, number> = {};
const tmp = mkdtempSync(path.join(tmpdir(), 'aiopsd-fuzz-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  console.log(`FUZZ ${JSON.stringify({ suite: 'decoders', date: new Date().toISOString(), runsPerProperty: RUNS, inputs: tried, total: Object.values(tried).reduce((a, b) => a + b, 0) })}`);
});

/** Run fn; a typed rejection is fine, anything else is a crash. Counts the input. Returns ms taken. */
function expectNoCrash(name: string, fn: () => unknown, typed: (e: unknown) => boolean = (e) => e instanceof AppError): number {
  tried[name] = (tried[name] ?? 0) + 1;
  const t0 = performance.now();
  try {
    fn();
  } catch (err) {
    if (!typed(err)) throw new Error(`${name}: crash ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
  }
  const ms = performance.now() - t0;
  if (ms > 2000) throw new Error(`${name}: took ${ms.toFixed(0)} ms on one input (hang)`);
  return ms;
}

async function expectNoCrashAsync(name: string, fn: () => Promise<unknown>, typed: (e: unknown) => boolean): Promise<void> {
  tried[name] = (tried[name] ?? 0) + 1;
  const t0 = performance.now();
  try {
    await fn();
  } catch (err) {
    if (!typed(err)) throw new Error(`${name}: crash ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
  }
  const ms = performance.now() - t0;
  if (ms > 2000) throw new Error(`${name}: took ${ms.toFixed(0)} ms on one input (hang)`);
}

const bytes = fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a));

/** A valid WriteRequest, then byte-level mutations (flip, truncate, splice). */
const validWrite = fc
  .array(
    fc.record({
      labels: fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/), fc.string({ maxLength: 20 }), { minKeys: 1, maxKeys: 4 }),
      samples: fc.array(fc.record({ value: fc.double(), timestamp: fc.integer({ min: 0, max: 2 ** 42 }) }), { maxLength: 5 }),
    }),
    { maxLength: 5 },
  )
  .map((series) => encodeWriteRequestV1({ timeseries: series.map((s) => ({ labels: Object.entries({ __name__: 'm', ...s.labels }).map(([name, value]) => ({ name, value })), samples: s.samples })) }));

const mutated = (valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> =>
  fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.option(fc.nat())).map(([buf, flips, cut]) => {
    const b = Buffer.from(buf);
    for (const [pos, v] of flips) if (b.length > 0) b[pos % b.length] = v;
    return cut === null || b.length === 0 ? b : b.subarray(0, cut % (b.length + 1));
  });

describe('fuzz: decoders', () => {
  it('remote_write 1.0 protobuf: random bytes and mutated valid requests', () => {
    fc.assert(fc.property(fc.oneof(bytes, mutated(validWrite)), (b) => void expectNoCrash('remote_write_v1', () => decodeWriteRequestV1(b))), { numRuns: RUNS * 2 });
  });

  it('remote_write 2.0 protobuf: random bytes and mutated 1.0 bodies', () => {
    fc.assert(fc.property(fc.oneof(bytes, mutated(validWrite)), (b) => void expectNoCrash('remote_write_v2', () => decodeWriteRequestV2(b))), { numRuns: RUNS * 2 });
  });

  it('snappy block decompression: random bytes and mutated valid blocks, with a decoded-size cap', () => {
    fc.assert(fc.property(fc.oneof(bytes, mutated(validWrite.map((b) => compressBlock(b)))), (b) => void expectNoCrash('snappy', () => decompressBlock(b, 1 << 20))), { numRuns: RUNS * 2 });
  });

  it('OTLP traces protobuf and JSON', () => {
    fc.assert(fc.property(bytes, (b) => void expectNoCrash('otlp_proto', () => decodeTracesProto(b))), { numRuns: RUNS });
    const jsonish = fc.oneof(fc.json(), fc.jsonValue().map((v) => JSON.stringify({ resourceSpans: [{ resource: v, scopeSpans: [{ spans: [v, { traceId: v, spanId: v, name: v, startTimeUnixNano: v, endTimeUnixNano: v, attributes: v, status: v }] }] }] })), fc.string());
    fc.assert(fc.property(jsonish, (s) => void expectNoCrash('otlp_json', () => decodeTracesJson(s))), { numRuns: RUNS });
  });

  it('policy YAML: random text, random structures, mutated valid files', () => {
    const valid = stringify({ rules: [{ name: 'r', when: { metric: 'm', labels: { a: '=~x|y' } }, action: { type: 'scale-hpa', target: { namespace: 'shop', name: '${service}' }, params: { minReplicas: 6 } } }] });
    const text = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.jsonValue().map((v) => stringify({ rules: [v] })),
      fc.tuple(fc.nat(valid.length), fc.string({ maxLength: 8 })).map(([i, s]) => valid.slice(0, i) + s + valid.slice(i)),
      fc.constantFrom('a: &a [*a]', 'x: !!binary ~', '- &a [*a, *a, *a]\n- *b', `${'['.repeat(5000)}`, 'rules:\n  - when: { metric_re: "(a+)+$" }'),
    );
    fc.assert(fc.property(text, (t) => void expectNoCrash('policy_yaml', () => parsePolicy(t))), { numRuns: RUNS });
  });

  it('config YAML: random text and random structures, through loadConfig', () => {
    const file = path.join(tmp, 'config.yaml');
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue().map((v) => stringify({ server: v, detect: v, api: { auth: { tokens: [v] } } })),
      fc.record({ k: fc.constantFrom('server', 'redis', 'database', 'detect', 'slack', 'webhooks', 'api', 'guardrails', 'leader'), v: fc.jsonValue() }).map(({ k, v }) => stringify({ [k]: v })),
    );
    fc.assert(
      fc.property(text, (t) => {
        writeFileSync(file, t);
        expectNoCrash('config_yaml', () => loadConfig({ file, env: {} }));
      }),
      { numRuns: RUNS },
    );
    fc.assert(fc.property(fc.jsonValue(), (v) => void expectNoCrash('config_object', () => validateConfig(v, 'fuzz'))), { numRuns: RUNS });
  });

  it('NAB CSV', () => {
    const row = fc.tuple(fc.oneof(fc.string({ maxLength: 25 }), fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('T', ' ').slice(0, 19))), fc.oneof(fc.double().map(String), fc.string({ maxLength: 6 })));
    const csv = fc.oneof(fc.string({ maxLength: 500 }), fc.array(row, { maxLength: 30 }).map((rows) => ['timestamp,value', ...rows.map(([t, v]) => `${t},${v}`)].join('\n')));
    fc.assert(fc.property(csv, (t) => void expectNoCrash('nab_csv', () => parseNabCsv(t, 'fuzz.csv'))), { numRuns: RUNS });
  });

  it('model files (model.json + weights.bin)', async () => {
    const dir = path.join(tmp, 'model');
    rmSync(dir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    const manifest = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ shape: fc.array(fc.integer({ min: -2, max: 5000 }), { maxLength: 3 }), dtype: fc.constantFrom('float32', 'int32', 'x'), paths: fc.array(fc.constantFrom('weights.bin', '../etc/passwd', '/abs', 'missing.bin'), { maxLength: 2 }), topo: fc.jsonValue() }).map((m) =>
        JSON.stringify({ format: 'layers-model', modelTopology: typeof m.topo === 'object' && m.topo !== null ? m.topo : {}, weightsManifest: [{ paths: m.paths, weights: [{ name: 'w', shape: m.shape, dtype: m.dtype }] }] }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(manifest, fc.uint8Array({ maxLength: 256 }), async (json, weights) => {
        writeFileSync(path.join(dir, 'model.json'), json);
        writeFileSync(path.join(dir, 'weights.bin'), weights);
        await expectNoCrashAsync('model_files', () => fileLoadHandler(dir).load!(), (e) => e instanceof ModelFileError);
      }),
      { numRuns: RUNS },
    );
  });

  it('Slack request signature check: random headers and bodies never throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), bytes, fc.option(fc.string({ maxLength: 20 })), fc.option(fc.string({ maxLength: 80 })), (secret, raw, ts, sig) => {
        expectNoCrash('slack_signature', () => {
          const r = verifySlackSignature(secret || 's', raw, ts ?? undefined, sig ?? undefined, Date.now());
          expect(r).toBeDefined(); // a random signature never verifies
        }, () => false);
      }),
      { numRuns: RUNS },
    );
  });
});
