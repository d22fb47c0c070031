import type { Labels, Sample } from '../../domain/types.js';
import type { SeriesBatch } from '../../series/store.js';
import { ProtoError, type ProtoReader, WIRE_FIXED64, WIRE_VARINT, protoAt, unknownField } from './protobuf-reader.js';

const TAG_VALUE = (1 << 3) | WIRE_FIXED64; // Sample.value = 1, double
const TAG_TIMESTAMP = (2 << 3) | WIRE_VARINT; // Sample.timestamp = 2, int64
const TAG_START_TIMESTAMP = (3 << 3) | WIRE_VARINT; // 2.0 (rc.4+) Sample.start_timestamp = 3, int64

/**
 * The decoded request as series: every series' canonical key and labels once, its samples as a range
 * of flat typed arrays (no object per sample). Filled while decoding; the decoders are synchronous and
 * each request gets its own builder, so the batch it returns stays valid after the request.
 */
export class SeriesBatchBuilder {
  timestamps: Float64Array;
  values: Float64Array;
  stale: Uint8Array;
  /** Samples held (committed series plus the series being decoded). */
  count = 0;
  readonly keys: string[] = [];
  readonly labels: Labels[] = [];
  readonly offsets: number[] = [0];

  /** `bodyBytes`: size of the decoded request, to start with room for about as many samples as it can hold. */
  constructor(bodyBytes = 0) {
    const cap = Math.min(1 << 16, Math.max(64, bodyBytes >> 5));
    this.timestamps = new Float64Array(cap);
    this.values = new Float64Array(cap);
    this.stale = new Uint8Array(cap);
  }

  /** Starts a series: drops samples of a series that was never committed. */
  reset(): void {
    this.count = this.offsets[this.offsets.length - 1] as number;
  }

  push(timestampMs: number, value: number, stale: boolean): void {
    if (this.count === this.values.length) this.grow();
    const i = this.count++;
    this.timestamps[i] = timestampMs;
    this.values[i] = value;
    this.stale[i] = stale ? 1 : 0;
  }

  /** Ends the series being decoded: its samples belong to `key` / `labels`. */
  commit(key: string, labels: Labels): void {
    this.keys.push(key);
    this.labels.push(labels);
    this.offsets.push(this.count);
  }

  finish(): SeriesBatch {
    const { keys, labels, offsets, timestamps, values, stale } = this;
    return { count: keys.length, keys, labels, offsets, timestamps, values, stale };
  }

  private grow(): void {
    const cap = this.values.length * 2;
    const t = new Float64Array(cap);
    t.set(this.timestamps);
    const v = new Float64Array(cap);
    v.set(this.values);
    const s = new Uint8Array(cap);
    s.set(this.stale);
    this.timestamps = t;
    this.values = v;
    this.stale = s;
  }
}

/** The batch as one Sample per sample (labels shared per series), for sinks that take samples. */
export function batchSamples(batch: SeriesBatch): Sample[] {
  const out: Sample[] = [];
  for (let s = 0; s < batch.count; s++) {
    const labels = batch.labels[s] as Labels;
    for (let i = batch.offsets[s] as number, end = batch.offsets[s + 1] as number; i < end; i++) {
      out.push({ labels, timestampMs: batch.timestamps[i] as number, value: batch.values[i] as number, stale: batch.stale[i] === 1 });
    }
  }
  return out;
}

/**
 * Reads one length-delimited Sample message (the tag has been read) into `scratch`. `v2` accepts
 * Sample.start_timestamp (field 3, Prometheus ≥ 3.8); its value is validated as a varint and ignored.
 * The stale marker is recognised from the raw bytes, so it stays distinct from an ordinary NaN.
 */
export function readSample(r: ProtoReader, scratch: SeriesBatchBuilder, v2: boolean): void {
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
    scratch.push(timestamp, value, stale);
  } catch (err) {
    throw protoAt(err, `samples[${scratch.count - (scratch.offsets[scratch.offsets.length - 1] as number)}]`);
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
