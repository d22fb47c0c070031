import { STALE_NAN_BITS_HI, STALE_NAN_BITS_LO } from '../../domain/types.js';

const TWO_POW_32 = 4294967296;

/**
 * A minimal protobuf wire writer (tests and benchmarks encode remote_write requests with it).
 * Nested messages are written in place: {@link begin} reserves one length byte, {@link end} fills
 * it in and shifts the payload when the length needs more than one byte.
 */
export class ProtoWriter {
  private buf: Buffer;
  private view: DataView;
  pos = 0;

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** Writes a field tag. */
  tag(field: number, wire: number): this {
    return this.uint32(((field << 3) | wire) >>> 0);
  }

  uint32(value: number): this {
    this.ensure(5);
    let v = value >>> 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** A signed int64 given as a safe integer (negative values take 10 bytes, as in protobuf). */
  int64(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`int64 value ${value} is not a safe integer`);
    const abs = Math.abs(value);
    let lo = abs % TWO_POW_32 >>> 0;
    let hi = Math.floor(abs / TWO_POW_32) >>> 0;
    if (value < 0) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    this.ensure(10);
    while (hi > 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
    return this;
  }

  double(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  /** Prometheus's stale marker with its exact bit pattern (a JS NaN cannot be trusted to keep it). */
  staleMarker(): this {
    this.ensure(8);
    this.view.setUint32(this.pos, STALE_NAN_BITS_LO, true);
    this.view.setUint32(this.pos + 4, STALE_NAN_BITS_HI, true);
    this.pos += 8;
    return this;
  }

  string(value: string): this {
    const len = Buffer.byteLength(value, 'utf8');
    this.uint32(len);
    this.ensure(len);
    this.pos += this.buf.write(value, this.pos, 'utf8');
    return this;
  }

  bytes(value: Uint8Array): this {
    this.uint32(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Raw bytes without a length prefix (fixed32 payloads, crafted test input). */
  raw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Starts a length-delimited payload (after its tag); pass the result to {@link end}. */
  begin(): number {
    this.ensure(1);
    this.pos += 1;
    return this.pos;
  }

  end(start: number): this {
    const len = this.pos - start;
    let size = 1;
    while (len >>> (7 * size) !== 0 && size < 5) size++;
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(start + size - 1, start, this.pos);
      this.pos += size - 1;
    }
    let at = start - 1;
    let v = len;
    while (v > 0x7f) {
      this.buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at] = v;
    return this;
  }

  /** The bytes written so far (a copy). */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
