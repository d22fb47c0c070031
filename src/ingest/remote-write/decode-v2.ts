import { badRequest } from '../../lib/errors.js';
import { type LabelRecord, LabelPairs, addLabel, quote, requireMetricName } from './labels.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT, protoAt, unknownField } from './protobuf-reader.js';
import { SeriesBatchBuilder, readSample, toRequestError } from './samples.js';
import { type DecodedWriteRequest, decodedRequest } from './types.js';

/*
 * io.prometheus.write.v2.Request (remote_write 2.0):
 *   Request    { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
 *   TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2; repeated Histogram histograms = 3;
 *                repeated Exemplar exemplars = 4; Metadata metadata = 5;
 *                int64 created_timestamp = 6;            // spec rc.3 (Prometheus ≤ 3.7)
 *              }
 *   Sample     { double value = 1; int64 timestamp = 2;
 *                int64 start_timestamp = 3;              // spec rc.4 (Prometheus ≥ 3.8)
 *              }
 *   Metadata   { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
 * Both start-timestamp layouts are accepted; the value is validated as a varint and otherwise ignored.
 * Symbols may come after the series on the wire, so the top level is scanned first and series second.
 */

const TAG_SYMBOLS = (4 << 3) | WIRE_LEN;
const TAG_TIMESERIES = (5 << 3) | WIRE_LEN;
const TAG_REFS_PACKED = (1 << 3) | WIRE_LEN;
const TAG_REFS_SINGLE = (1 << 3) | WIRE_VARINT;
const TAG_SAMPLES = (2 << 3) | WIRE_LEN;
const TAG_HISTOGRAMS = (3 << 3) | WIRE_LEN;
const TAG_EXEMPLARS = (4 << 3) | WIRE_LEN;
const TAG_METADATA = (5 << 3) | WIRE_LEN;
const TAG_CREATED_TIMESTAMP = (6 << 3) | WIRE_VARINT;
const TAG_HELP_REF = (3 << 3) | WIRE_VARINT;
const TAG_UNIT_REF = (4 << 3) | WIRE_VARINT;
const SERIES_FIELDS = ['labels_refs', 'samples', 'histograms', 'exemplars', 'metadata', 'created_timestamp'];

interface V2State {
  readonly symbols: string[];
  readonly batch: SeriesBatchBuilder;
  readonly pairs: LabelPairs;
  readonly refs: number[];
  series: number;
  exemplars: number;
}

/** Decodes an uncompressed io.prometheus.write.v2.Request; throws a 400 AppError naming the bad field. */
export function decodeWriteRequestV2(body: Buffer): DecodedWriteRequest {
  const r = new ProtoReader(body);
  const st: V2State = { symbols: [], batch: new SeriesBatchBuilder(body.length), pairs: new LabelPairs(), refs: [], series: 0, exemplars: 0 };
  try {
    const ranges = scanTopLevel(r, st.symbols);
    checkSymbols(st.symbols, ranges.length / 2);
    for (let i = 0; i < ranges.length; i += 2) {
      r.pos = ranges[i] as number;
      r.limit = ranges[i + 1] as number;
      decodeSeries(r, st);
    }
  } catch (err) {
    throw toRequestError(err);
  }
  return decodedRequest('v2', st.batch.finish(), st.series, 0, st.exemplars);
}

/** Collects the symbols table and the [start, end) byte range of every series. */
function scanTopLevel(r: ProtoReader, symbols: string[]): number[] {
  const ranges: number[] = [];
  while (r.pos < r.limit) {
    const tag = r.tag('Request');
    if (tag === TAG_SYMBOLS) {
      symbols.push(r.string(`symbols[${symbols.length}]`));
    } else if (tag === TAG_TIMESERIES) {
      const end = r.lengthEnd(`timeseries[${ranges.length / 2}]`);
      ranges.push(r.pos, end);
      r.pos = end;
    } else {
      if (tag >>> 3 === 4) r.expectWire(tag, WIRE_LEN, 'symbols');
      if (tag >>> 3 === 5) r.expectWire(tag, WIRE_LEN, 'timeseries');
      r.skip(tag & 7, unknownField(tag));
    }
  }
  return ranges;
}

function checkSymbols(symbols: string[], seriesCount: number): void {
  if (symbols.length > 0 && symbols[0] !== '') {
    throw badRequest('invalid_symbols', `symbols[0] must be the empty string, got ${quote(symbols[0] as string)}`);
  }
  if (symbols.length === 0 && seriesCount > 0) {
    throw badRequest('invalid_symbols', 'the symbols table is empty; symbols[0] must be the empty string');
  }
}

function decodeSeries(r: ProtoReader, st: V2State): void {
  const index = st.series++;
  const where = `timeseries[${index}]`;
  st.batch.reset();
  st.refs.length = 0;
  try {
    while (r.pos < r.limit) {
      const tag = r.tag('tag');
      if (tag === TAG_SAMPLES) readSample(r, st.batch, true);
      else if (tag === TAG_REFS_PACKED) readPackedRefs(r, st.refs);
      else if (tag === TAG_REFS_SINGLE) st.refs.push(r.varint32('labels_refs'));
      else if (tag === TAG_HISTOGRAMS) throw histogramsUnsupported(where);
      else if (tag === TAG_EXEMPLARS) {
        st.exemplars++;
        r.skip(WIRE_LEN, 'exemplars');
      } else if (tag === TAG_METADATA) readMetadata(r, st.symbols.length, where);
      else if (tag === TAG_CREATED_TIMESTAMP) r.varint64('created_timestamp');
      else {
        const field = tag >>> 3;
        if (field === 1) r.expectWire(tag, WIRE_LEN, 'labels_refs');
        if (field >= 2 && field <= 5) r.expectWire(tag, WIRE_LEN, SERIES_FIELDS[field - 1] as string);
        if (field === 6) r.expectWire(tag, WIRE_VARINT, 'created_timestamp');
        r.skip(tag & 7, unknownField(tag));
      }
    }
  } catch (err) {
    throw protoAt(err, where);
  }
  const labels = resolveLabels(st.refs, st.symbols, st.pairs, where);
  if (st.batch.count > (st.batch.offsets[st.batch.offsets.length - 1] as number)) st.batch.commit(st.pairs.key(labels), labels);
}

/**
 * aiopsd rejects native histograms for now: the series store and the detectors hold float samples
 * only, and silently dropping histogram samples would hide the gap. The whole request is refused with
 * a 400 so the misconfiguration shows up in the sender's logs; configure the sender not to send native
 * histograms to aiopsd (e.g. drop them with write_relabel_configs).
 */
function histogramsUnsupported(where: string): Error {
  return badRequest(
    'histograms_unsupported',
    `${where}: native histograms are not supported by aiopsd; the request was rejected (configure the sender to not send native histograms)`,
    { where },
  );
}

function readPackedRefs(r: ProtoReader, refs: number[]): void {
  const saved = r.enter('labels_refs');
  while (r.pos < r.limit) refs.push(r.varint32('labels_refs'));
  r.leave(saved);
}

function readMetadata(r: ProtoReader, nSymbols: number, where: string): void {
  try {
    const saved = r.enter('length');
    while (r.pos < r.limit) {
      const tag = r.tag('tag');
      if (tag === TAG_HELP_REF || tag === TAG_UNIT_REF) {
        const name = tag === TAG_HELP_REF ? 'help_ref' : 'unit_ref';
        const ref = r.varint32(name);
        if (ref >= nSymbols) {
          const field = `metadata.${name}`;
          throw badRequest('invalid_symbol_ref', `${where}: ${field} = ${ref} is out of range (${nSymbols} symbols)`, { where, field });
        }
      } else {
        r.skip(tag & 7, unknownField(tag));
      }
    }
    r.leave(saved);
  } catch (err) {
    throw protoAt(err, 'metadata');
  }
}

function resolveLabels(refs: number[], symbols: string[], pairs: LabelPairs, where: string): LabelRecord {
  if (refs.length % 2 !== 0) {
    throw badRequest('invalid_labels', `${where}: labels_refs has odd length ${refs.length}; it must hold name/value pairs`, { where });
  }
  const labels: LabelRecord = {};
  pairs.reset();
  for (let i = 0; i < refs.length; i += 2) {
    const nameRef = refs[i] as number;
    const valueRef = refs[i + 1] as number;
    const bad = nameRef >= symbols.length ? i : valueRef >= symbols.length ? i + 1 : -1;
    if (bad >= 0) {
      throw badRequest(
        'invalid_labels',
        `${where}: labels_refs[${bad}] = ${refs[bad]} is out of range (${symbols.length} symbols)`,
        { where, label: `labels_refs[${bad}]` },
      );
    }
    addLabel(labels, symbols[nameRef] as string, symbols[valueRef] as string, where, `labels_refs[${i}..${i + 1}]`);
    pairs.add(symbols[nameRef] as string, symbols[valueRef] as string);
  }
  requireMetricName(labels, where);
  return labels;
}
