import { WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './protobuf-reader.js';
import { ProtoWriter } from './proto-writer.js';

/**
 * Encoders for remote_write 1.0 and 2.0 messages, for tests and benchmarks (the daemon only
 * receives). Timestamps are int64 milliseconds given as safe integers. `stale: true` writes the
 * stale-marker NaN with its exact bits, whatever `value` holds.
 */

export interface SampleInput {
  value: number;
  timestamp: number;
  stale?: boolean;
}

export interface LabelInput {
  name: string;
  value: string;
}

export interface TimeSeriesV1Input {
  labels: LabelInput[];
  samples: SampleInput[];
}

export interface WriteRequestV1Input {
  timeseries: TimeSeriesV1Input[];
}

export interface SampleV2Input extends SampleInput {
  /** Written as Sample.start_timestamp (field 3, spec rc.4 / Prometheus ≥ 3.8). */
  startTimestamp?: number;
}

/** A minimal native histogram sample (count_int = 1, sum = 3, timestamp = 15). */
export interface HistogramV2Input {
  count: number;
  sum: number;
  timestamp: number;
}

export interface ExemplarV2Input {
  labelsRefs: number[];
  value: number;
  timestamp: number;
}

export interface MetadataV2Input {
  type: number;
  helpRef: number;
  unitRef: number;
}

export interface TimeSeriesV2Input {
  labelsRefs: number[];
  samples: SampleV2Input[];
  histograms?: HistogramV2Input[];
  exemplars?: ExemplarV2Input[];
  metadata?: MetadataV2Input;
  /** Written as TimeSeries.created_timestamp (field 6, spec rc.3 / Prometheus ≤ 3.7). */
  createdTimestamp?: number;
}

export interface WriteRequestV2Input {
  symbols: string[];
  timeseries: TimeSeriesV2Input[];
}

function writeSample(w: ProtoWriter, s: SampleV2Input): void {
  const start = w.tag(2, WIRE_LEN).begin();
  w.tag(1, WIRE_FIXED64);
  if (s.stale === true) w.staleMarker();
  else w.double(s.value);
  w.tag(2, WIRE_VARINT).int64(s.timestamp);
  if (s.startTimestamp !== undefined) w.tag(3, WIRE_VARINT).int64(s.startTimestamp);
  w.end(start);
}

/** Encodes a prometheus.WriteRequest (uncompressed protobuf). */
export function encodeWriteRequestV1(req: WriteRequestV1Input): Buffer {
  const w = new ProtoWriter(4096);
  for (const ts of req.timeseries) {
    const tsStart = w.tag(1, WIRE_LEN).begin();
    for (const l of ts.labels) {
      const ls = w.tag(1, WIRE_LEN).begin();
      w.tag(1, WIRE_LEN).string(l.name);
      w.tag(2, WIRE_LEN).string(l.value);
      w.end(ls);
    }
    for (const s of ts.samples) writeSample(w, s);
    w.end(tsStart);
  }
  return w.finish();
}

function writeRefs(w: ProtoWriter, field: number, refs: readonly number[]): void {
  if (refs.length === 0) return;
  const start = w.tag(field, WIRE_LEN).begin();
  for (const r of refs) w.uint32(r);
  w.end(start);
}

function writeSeriesV2Extras(w: ProtoWriter, ts: TimeSeriesV2Input): void {
  for (const h of ts.histograms ?? []) {
    const start = w.tag(3, WIRE_LEN).begin();
    w.tag(1, WIRE_VARINT).int64(h.count);
    w.tag(3, WIRE_FIXED64).double(h.sum);
    w.tag(15, WIRE_VARINT).int64(h.timestamp);
    w.end(start);
  }
  for (const e of ts.exemplars ?? []) {
    const start = w.tag(4, WIRE_LEN).begin();
    writeRefs(w, 1, e.labelsRefs);
    w.tag(2, WIRE_FIXED64).double(e.value);
    w.tag(3, WIRE_VARINT).int64(e.timestamp);
    w.end(start);
  }
  if (ts.metadata !== undefined) {
    const start = w.tag(5, WIRE_LEN).begin();
    w.tag(1, WIRE_VARINT).uint32(ts.metadata.type);
    w.tag(3, WIRE_VARINT).uint32(ts.metadata.helpRef);
    w.tag(4, WIRE_VARINT).uint32(ts.metadata.unitRef);
    w.end(start);
  }
  if (ts.createdTimestamp !== undefined) w.tag(6, WIRE_VARINT).int64(ts.createdTimestamp);
}

/** Encodes an io.prometheus.write.v2.Request (uncompressed protobuf). */
export function encodeWriteRequestV2(req: WriteRequestV2Input): Buffer {
  const w = new ProtoWriter(4096);
  for (const s of req.symbols) w.tag(4, WIRE_LEN).string(s);
  for (const ts of req.timeseries) {
    const tsStart = w.tag(5, WIRE_LEN).begin();
    writeRefs(w, 1, ts.labelsRefs);
    for (const s of ts.samples) writeSample(w, s);
    writeSeriesV2Extras(w, ts);
    w.end(tsStart);
  }
  return w.finish();
}

/** One series as label pairs plus samples, for {@link toWriteRequestV2}. */
export interface SeriesInput {
  labels: LabelInput[];
  samples: SampleV2Input[];
}

/** Builds a 2.0 request from label pairs, interning every string into the symbols table ("" first). */
export function toWriteRequestV2(series: readonly SeriesInput[]): WriteRequestV2Input {
  const symbols: string[] = [''];
  const index = new Map<string, number>([['', 0]]);
  const intern = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = symbols.length;
      symbols.push(s);
      index.set(s, i);
    }
    return i;
  };
  const timeseries = series.map((s) => ({
    labelsRefs: s.labels.flatMap((l) => [intern(l.name), intern(l.value)]),
    samples: s.samples,
  }));
  return { symbols, timeseries };
}
