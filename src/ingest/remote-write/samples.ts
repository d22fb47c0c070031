import type { Labels, Sample } from '../../domain/types.js';
import { ProtoError, type ProtoReader, WIRE_FIXED64, WIRE_VARINT, protoAt, unknownField } from './protobuf-reader.js';

const TAG_VALUE = (1 << 3) | WIRE_FIXED64; // Sample.value = 1, double
const TAG_TIMESTAMP = (2 << 3) | WIRE_VARINT; // Sample.timestamp = 2, int64
const TAG_START_TIMESTAMP = (3 << 3) | WIRE_VARINT; // 2.0 (rc.4+) Sample.start_timestamp = 3, int64

/**
 * Samples of the series being decoded, held until its labels are known (a series' fields may
 * come in any order). Reused across series and requests: the decoders are synchronous.
 */
export class SampleScratch {
  values: number[] = [];
  timestamps: number[] = [];
  stale: boolean[] = [];
  count = 0;

  reset(): void {
    this.count = 0;
  }

  /** Appends the held samples to `out`, all sharing one `labels` object. */
  emit(labels: Labels, out: Sample[]): void {
    const { values, timestamps, stale } = this;
    for (let i = 0; i < this.count; i++) {
      out.push({ labels, timestampMs: timestamps[i] as number, value: values[i] as number, stale: stale[i] as boolean });
    }
    this.count = 0;
  }
}

/**
 * Reads one length-delimited Sample message (the tag has been read) into `scratch`. `v2` accepts
 * Sample.start_timestamp (field 3, Prometheus ≥ 3.8); its value is validated as a varint and ignored.
 * The stale marker is recognised from the raw bytes, so it stays distinct from an ordinary NaN.
 */
export function readSample(r: ProtoReader, scratch: SampleScratch, v2: boolean): void {
  const index = scratch.count;
  try {
    const saved = r.enter('length');
    let value = 0;
    let timestamp = 0;
    let stale = false;
    while (r.pos < r.limit) {
      const tag = r.tag('tag');
      if (tag === TAG_VALUE) {
        const at = r.pos;
        value = r.double('value');
        stale = value !== value && r.isStaleAt(at);
      } else if (tag === TAG_TIMESTAMP) {
        timestamp = r.varint64('timestamp');
      } else if (v2 && tag === TAG_START_TIMESTAMP) {
        r.varint64('start_timestamp');
      } else {
        skipSampleField(r, tag, v2);
      }
    }
    r.leave(saved);
    scratch.values[index] = value;
    scratch.timestamps[index] = timestamp;
    scratch.stale[index] = stale;
    scratch.count = index + 1;
  } catch (err) {
    throw protoAt(err, `samples[${index}]`);
  }
}

function skipSampleField(r: ProtoReader, tag: number, v2: boolean): void {
  const field = tag >>> 3;
  if (field === 1) r.expectWire(tag, WIRE_FIXED64, 'value');
  if (field === 2) r.expectWire(tag, WIRE_VARINT, 'timestamp');
  if (v2 && field === 3) r.expectWire(tag, WIRE_VARINT, 'start_timestamp');
  r.skip(tag & 7, unknownField(tag));
}

/** Converts a ProtoError escaping a decoder into the 400 the handler answers; rethrows the rest. */
export function toRequestError(err: unknown): unknown {
  return err instanceof ProtoError ? err.toAppError() : err;
}
