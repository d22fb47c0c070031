import { type LabelRecord, LabelPairs, addLabel, requireMetricName } from './labels.js';
import { ProtoReader, WIRE_LEN, protoAt, unknownField } from './protobuf-reader.js';
import { SeriesBatchBuilder, readSample, toRequestError } from './samples.js';
import { hashBlock, labelBlockEnd, lookupLabels, rememberLabels } from './label-cache.js';
import { type DecodedWriteRequest, decodedRequest } from './types.js';

/*
 * prometheus.WriteRequest (remote_write 1.0):
 *   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
 *                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 * Metadata, exemplars, histograms and unknown fields are skipped (exemplars and histograms are counted).
 */

const TAG_TIMESERIES = (1 << 3) | WIRE_LEN;
const TAG_LABELS = (1 << 3) | WIRE_LEN;
const TAG_SAMPLES = (2 << 3) | WIRE_LEN;
const TAG_EXEMPLARS = (3 << 3) | WIRE_LEN;
const TAG_HISTOGRAMS = (4 << 3) | WIRE_LEN;
const TAG_NAME = (1 << 3) | WIRE_LEN;
const TAG_VALUE = (2 << 3) | WIRE_LEN;

interface V1State {
  readonly batch: SeriesBatchBuilder;
  readonly pairs: LabelPairs;
  series: number;
  histograms: number;
  exemplars: number;
}

/** Decodes an uncompressed prometheus.WriteRequest; throws a 400 AppError naming the bad field. */
export function decodeWriteRequestV1(body: Buffer): DecodedWriteRequest {
  const r = new ProtoReader(body);
  const st: V1State = { batch: new SeriesBatchBuilder(body.length), pairs: new LabelPairs(), series: 0, histograms: 0, exemplars: 0 };
  try {
    while (r.pos < r.limit) {
      const tag = r.tag('WriteRequest');
      if (tag === TAG_TIMESERIES) {
        decodeSeries(r, st);
      } else {
        if (tag >>> 3 === 1) r.expectWire(tag, WIRE_LEN, 'timeseries');
        r.skip(tag & 7, unknownField(tag));
      }
    }
  } catch (err) {
    throw toRequestError(err);
  }
  return decodedRequest('v1', st.batch.finish(), st.series, st.histograms, st.exemplars);
}

function decodeSeries(r: ProtoReader, st: V1State): void {
  const index = st.series++;
  const batch = st.batch;
  batch.reset();
  let saved: number;
  try {
    saved = r.enter('length');
  } catch (err) {
    throw protoAt(err, `timeseries[${index}]`);
  }
  // Fast path: labels seen before, byte for byte (the labels come first and together, as Prometheus sends them).
  const start = r.pos;
  const blockEnd = labelBlockEnd(r.buf, start, r.limit);
  const hash = blockEnd > 0 ? hashBlock(r.buf, start, blockEnd) : 0;
  if (blockEnd > 0) {
    const hit = lookupLabels(hash, r.buf, start, blockEnd);
    if (hit !== undefined) {
      const { histograms, exemplars } = st;
      r.pos = blockEnd;
      if (readRest(r, st, index)) {
        r.leave(saved);
        if (batch.count > (batch.offsets[batch.offsets.length - 1] as number)) batch.commit(hit.key, hit.labels);
        return;
      }
      // Another label field after the samples: decode the whole series the ordinary way.
      r.pos = start;
      batch.reset();
      st.histograms = histograms;
      st.exemplars = exemplars;
    }
  }
  const where = `timeseries[${index}]`;
  const labels: LabelRecord = {};
  const pairs = st.pairs;
  pairs.reset();
  let nLabels = 0;
  let labelsAfterBlock = false;
  try {
    while (r.pos < r.limit) {
      const tag = r.tag('tag');
      if (tag === TAG_LABELS) {
        if (r.pos > blockEnd) labelsAfterBlock = true;
        readLabel(r, labels, pairs, where, nLabels++);
      } else if (tag === TAG_SAMPLES) {
        readSample(r, batch, false);
      } else {
        skipSeriesField(r, tag, st);
      }
    }
    r.leave(saved);
  } catch (err) {
    throw protoAt(err, where);
  }
  requireMetricName(labels, where);
  const key = pairs.key(labels);
  Object.freeze(labels);
  if (blockEnd > 0 && !labelsAfterBlock) rememberLabels(hash, r.buf, start, blockEnd, key, labels);
  if (batch.count > (batch.offsets[batch.offsets.length - 1] as number)) batch.commit(key, labels);
}

/** The series' fields after its cached labels; false when a label field turns up there. */
function readRest(r: ProtoReader, st: V1State, index: number): boolean {
  try {
    while (r.pos < r.limit) {
      const tag = r.tag('tag');
      if (tag === TAG_SAMPLES) readSample(r, st.batch, false);
      else if (tag === TAG_LABELS) return false;
      else skipSeriesField(r, tag, st);
    }
  } catch (err) {
    throw protoAt(err, `timeseries[${index}]`);
  }
  return true;
}

function skipSeriesField(r: ProtoReader, tag: number, st: V1State): void {
  if (tag === TAG_EXEMPLARS) st.exemplars++;
  else if (tag === TAG_HISTOGRAMS) st.histograms++;
  const field = tag >>> 3;
  if (field >= 1 && field <= 4) r.expectWire(tag, WIRE_LEN, ['labels', 'samples', 'exemplars', 'histograms'][field - 1] as string);
  r.skip(tag & 7, unknownField(tag));
}

function readLabel(r: ProtoReader, labels: LabelRecord, pairs: LabelPairs, where: string, index: number): void {
  let name = '';
  let value = '';
  try {
    const saved = r.enter('length');
    while (r.pos < r.limit) {
      const tag = r.tag('tag');
      if (tag === TAG_NAME) name = r.string('name');
      else if (tag === TAG_VALUE) value = r.string('value');
      else {
        if (tag >>> 3 === 1) r.expectWire(tag, WIRE_LEN, 'name');
        if (tag >>> 3 === 2) r.expectWire(tag, WIRE_LEN, 'value');
        r.skip(tag & 7, unknownField(tag));
      }
    }
    r.leave(saved);
  } catch (err) {
    throw protoAt(err, `labels[${index}]`);
  }
  addLabel(labels, name, value, where, `labels[${index}]`);
  pairs.add(name, value);
}
