import type { Sample } from '../../domain/types.js';
import { type LabelRecord, addLabel, requireMetricName } from './labels.js';
import { ProtoReader, WIRE_LEN, protoAt, unknownField } from './protobuf-reader.js';
import { SampleScratch, readSample, toRequestError } from './samples.js';
import type { DecodedWriteRequest } from './types.js';

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
  readonly out: Sample[];
  readonly scratch: SampleScratch;
  series: number;
  histograms: number;
  exemplars: number;
}

/** Decodes an uncompressed prometheus.WriteRequest; throws a 400 AppError naming the bad field. */
export function decodeWriteRequestV1(body: Buffer): DecodedWriteRequest {
  const r = new ProtoReader(body);
  const st: V1State = { out: [], scratch: new SampleScratch(), series: 0, histograms: 0, exemplars: 0 };
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
  return { version: 'v1', samples: st.out, series: st.series, histograms: st.histograms, exemplars: st.exemplars };
}

function decodeSeries(r: ProtoReader, st: V1State): void {
  const index = st.series++;
  const where = `timeseries[${index}]`;
  const labels: LabelRecord = {};
  st.scratch.reset();
  let nLabels = 0;
  try {
    const saved = r.enter('length');
    while (r.pos < r.limit) {
      const tag = r.tag('tag');
      if (tag === TAG_LABELS) {
        readLabel(r, labels, where, nLabels++);
      } else if (tag === TAG_SAMPLES) {
        readSample(r, st.scratch, false);
      } else {
        skipSeriesField(r, tag, st);
      }
    }
    r.leave(saved);
  } catch (err) {
    throw protoAt(err, where);
  }
  requireMetricName(labels, where);
  st.scratch.emit(labels, st.out);
}

function skipSeriesField(r: ProtoReader, tag: number, st: V1State): void {
  if (tag === TAG_EXEMPLARS) st.exemplars++;
  else if (tag === TAG_HISTOGRAMS) st.histograms++;
  const field = tag >>> 3;
  if (field >= 1 && field <= 4) r.expectWire(tag, WIRE_LEN, ['labels', 'samples', 'exemplars', 'histograms'][field - 1] as string);
  r.skip(tag & 7, unknownField(tag));
}

function readLabel(r: ProtoReader, labels: LabelRecord, where: string, index: number): void {
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
}
