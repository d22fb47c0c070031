import { type AppError, badRequest } from '../../lib/errors.js';
import { STALE_NAN_BITS_HI, STALE_NAN_BITS_LO } from '../../domain/types.js';
import { decodeString } from './intern.js';

/**
 * A tiny protobuf wire-format reader, hand-written for the remote_write hot path (no reflection,
 * no per-field allocation). Every read is bounds-checked against `limit`, the end of the message
 * currently being read, so a field can never read into its parent's or a sibling's bytes.
 *
 * Errors are thrown as {@link ProtoError} carrying the field being read; decoders prepend the
 * path segments (`timeseries[3]`, `samples[0]`) while the error unwinds and turn it into a 400
 * `bad_protobuf` AppError at the top (see {@link ProtoError.toAppError}).
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** Deepest group nesting `skip` follows before giving up (protects the stack). */
const MAX_GROUP_DEPTH = 64;

const TWO_POW_32 = 4294967296;

export class ProtoError extends Error {
  /** Path segments, outermost first. */
  readonly path: string[];

  constructor(reason: string, field: string) {
    super(reason);
    this.name = 'ProtoError';
    this.path = [field];
  }

  /** Prepends a path segment (called by each enclosing decoder while unwinding). */
  at(segment: string): this {
    this.path.unshift(segment);
    return this;
  }

  toAppError(): AppError {
    const path = this.path.join('.');
    return badRequest('bad_protobuf', `invalid protobuf at ${path}: ${this.message}`, { path });
  }
}

/** Prepends `segment` when `err` is a ProtoError; returns `err` for rethrowing. */
export function protoAt(err: unknown, segment: string): unknown {
  if (err instanceof ProtoError) err.at(segment);
  return err;
}

export function wireTypeName(wire: number): string {
  switch (wire) {
    case WIRE_VARINT: return 'varint';
    case WIRE_FIXED64: return 'fixed64';
    case WIRE_LEN: return 'length-delimited';
    case WIRE_START_GROUP: return 'start-group';
    case WIRE_END_GROUP: return 'end-group';
    case WIRE_FIXED32: return 'fixed32';
    default: return `invalid(${wire})`;
  }
}

export class ProtoReader {
  readonly buf: Buffer;
  private readonly view: DataView;
  pos = 0;
  /** End of the message being read (exclusive). */
  limit: number;

  constructor(buf: Buffer) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.limit = buf.length;
  }

  private truncated(field: string): ProtoError {
    return new ProtoError(`unexpected end of message (offset ${this.pos}, message ends at ${this.limit})`, field);
  }

  /** Reads a field tag; throws on field number 0. Returns `field << 3 | wireType`. */
  tag(field: string): number {
    const tag = this.varint32(field);
    if (tag >>> 3 === 0) throw new ProtoError(`invalid field number 0 (tag ${tag})`, field);
    return tag;
  }

  /** A varint truncated to its low 32 bits, unsigned (uint32/int32/enum/tag/length semantics). */
  varint32(field: string): number {
    const buf = this.buf;
    const limit = this.limit;
    let pos = this.pos;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= limit) throw this.truncated(field);
      const b = buf[pos++] as number;
      if (shift < 32) result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    this.pos = pos;
    throw new ProtoError('varint longer than 10 bytes', field);
  }

  /** A varint as a signed int64, returned as a JS number (exact within ±2^53). */
  varint64(field: string): number {
    const buf = this.buf;
    const limit = this.limit;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= limit) throw this.truncated(field);
      b = buf[pos++] as number;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return lo >>> 0;
      }
    }
    if (pos >= limit) throw this.truncated(field);
    b = buf[pos++] as number;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >>> 4;
    for (let shift = 3; b >= 0x80; shift += 7) {
      if (shift > 31) throw new ProtoError('varint longer than 10 bytes', field);
      if (pos >= limit) throw this.truncated(field);
      b = buf[pos++] as number;
      hi |= (b & 0x7f) << shift;
    }
    this.pos = pos;
    return (hi | 0) * TWO_POW_32 + (lo >>> 0);
  }

  /** A little-endian IEEE-754 double (wire type fixed64). */
  double(field: string): number {
    const pos = this.pos;
    if (pos + 8 > this.limit) throw this.truncated(field);
    this.pos = pos + 8;
    return this.view.getFloat64(pos, true);
  }

  /** True when the 8 bytes at `pos` are exactly Prometheus's stale-marker NaN (0x7ff0000000000002). */
  isStaleAt(pos: number): boolean {
    return this.view.getUint32(pos + 4, true) === STALE_NAN_BITS_HI && this.view.getUint32(pos, true) === STALE_NAN_BITS_LO;
  }

  /** Reads a length prefix and returns the payload's end offset; the payload starts at `pos`. */
  lengthEnd(field: string): number {
    const len = this.varint32(field);
    if (len > this.limit - this.pos) {
      throw new ProtoError(`length ${len} exceeds the ${this.limit - this.pos} bytes left in the message`, field);
    }
    return this.pos + len;
  }

  /** Reads a length prefix and narrows `limit` to the payload; returns the previous limit for {@link leave}. */
  enter(field: string): number {
    const end = this.lengthEnd(field);
    const saved = this.limit;
    this.limit = end;
    return saved;
  }

  /** Restores the limit saved by {@link enter}; the payload must have been read completely. */
  leave(savedLimit: number): void {
    this.pos = this.limit;
    this.limit = savedLimit;
  }

  /** A length-delimited UTF-8 string (invalid sequences become U+FFFD, as Buffer does). */
  string(field: string): string {
    const end = this.lengthEnd(field);
    const start = this.pos;
    this.pos = end;
    return decodeString(this.buf, start, end);
  }

  /** Skips one field's payload of the given wire type (unknown fields, ignored fields). */
  skip(wire: number, field: string, depth = 0): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint32(field);
        return;
      case WIRE_FIXED64:
        this.advance(8, field);
        return;
      case WIRE_LEN:
        this.pos = this.lengthEnd(field);
        return;
      case WIRE_FIXED32:
        this.advance(4, field);
        return;
      case WIRE_START_GROUP:
        this.skipGroup(field, depth);
        return;
      default:
        throw new ProtoError(`unexpected wire type ${wireTypeName(wire)}`, field);
    }
  }

  /** Checks a known field's wire type. */
  expectWire(tag: number, wire: number, field: string): void {
    if ((tag & 7) !== wire) {
      throw new ProtoError(`wrong wire type ${wireTypeName(tag & 7)}, expected ${wireTypeName(wire)}`, field);
    }
  }

  private advance(n: number, field: string): void {
    if (this.pos + n > this.limit) throw this.truncated(field);
    this.pos += n;
  }

  private skipGroup(field: string, depth: number): void {
    if (depth >= MAX_GROUP_DEPTH) throw new ProtoError('groups nested too deeply', field);
    for (;;) {
      const tag = this.tag(field);
      const wire = tag & 7;
      if (wire === WIRE_END_GROUP) return;
      this.skip(wire, `${field}.field${tag >>> 3}`, depth + 1);
    }
  }
}

/** Field label for an unknown field, used only on error paths. */
export function unknownField(tag: number): string {
  return `field${tag >>> 3}`;
}
