import { createRequire } from 'node:module';
import { AppError, badRequest, errorMessage } from '../../lib/errors.js';
import { snappyBlockProblem } from './snappy-validate.js';

/**
 * Snappy **block** format (what remote_write uses; not the framed/stream format). The native
 * `snappy` package (an optionalDependency) is used when it loads; `snappyjs` (pure JS) otherwise.
 * The uncompressed length in the block header is checked against the cap before anything is
 * allocated, so a small body cannot make us allocate a huge buffer.
 */

export type SnappyImplementationName = 'native' | 'snappyjs';

interface SnappyImpl {
  readonly name: SnappyImplementationName;
  /** `headerBytes`: size of the length header already parsed from `buf`. */
  uncompress(buf: Buffer, expectedLength: number, headerBytes: number): Buffer;
  compress(buf: Buffer): Buffer;
}

interface NativeSnappy {
  compressSync(input: Uint8Array): Buffer;
  uncompressSync(input: Uint8Array, options: { asBuffer: true; copyOutputData?: boolean }): Buffer | string;
}

interface SnappyJs {
  compress(input: Buffer): Buffer;
  uncompress(input: Buffer, maxLength: number): Buffer;
}

const requireCjs = createRequire(import.meta.url);

function loadNative(): SnappyImpl | undefined {
  try {
    const native = requireCjs('snappy') as NativeSnappy;
    const probe = Buffer.from('aiopsd snappy probe');
    const back = native.uncompressSync(native.compressSync(probe), { asBuffer: true });
    if (!Buffer.isBuffer(back) || !back.equals(probe)) return undefined;
    return {
      name: 'native',
      uncompress: (buf) => {
        // copyOutputData: a plain V8 buffer measured faster than an external one for request-sized bodies.
        const out = native.uncompressSync(buf, { asBuffer: true, copyOutputData: true });
        return Buffer.isBuffer(out) ? out : Buffer.from(out);
      },
      compress: (buf) => native.compressSync(buf),
    };
  } catch {
    return undefined;
  }
}

function loadJs(): SnappyImpl {
  const js = requireCjs('snappyjs') as SnappyJs;
  return {
    name: 'snappyjs',
    uncompress: (buf, expectedLength, headerBytes) => {
      // snappyjs trusts its input (it can loop forever on a crafted block): check the structure first.
      const problem = snappyBlockProblem(buf, headerBytes, expectedLength);
      if (problem !== undefined) throw new Error(problem);
      return js.uncompress(buf, expectedLength);
    },
    compress: (buf) => js.compress(buf),
  };
}

const nativeImpl = loadNative();
let jsImpl: SnappyImpl | undefined;

function implFor(name: SnappyImplementationName | undefined): SnappyImpl {
  if (name === 'native') {
    if (nativeImpl === undefined) throw new AppError('snappy_unavailable', 'the native snappy package is not available');
    return nativeImpl;
  }
  if (name === undefined && nativeImpl !== undefined) return nativeImpl;
  jsImpl ??= loadJs();
  return jsImpl;
}

/** Which implementation `decompressBlock`/`compressBlock` use by default. */
export const snappyImplementation: SnappyImplementationName = nativeImpl === undefined ? 'snappyjs' : 'native';

/** True when the native implementation loaded (tests use this to cover both). */
export function nativeSnappyAvailable(): boolean {
  return nativeImpl !== undefined;
}

function badSnappy(message: string): AppError {
  return badRequest('bad_snappy', `body is not a valid snappy block: ${message}`);
}

/** The uncompressed length from a snappy block header (a varint of at most 32 bits). */
export function snappyDecodedLength(buf: Uint8Array): number {
  return readHeader(buf).length;
}

function readHeader(buf: Uint8Array): { length: number; headerBytes: number } {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= buf.length) throw badSnappy(buf.length === 0 ? 'the body is empty' : 'truncated length header');
    const b = buf[i] as number;
    if (i === 4 && b > 0x0f) throw badSnappy('length header exceeds 32 bits');
    result += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return { length: result, headerBytes: i + 1 };
  }
  throw badSnappy('length header exceeds 32 bits');
}

/**
 * Decompresses one snappy block. Throws 413 `body_too_large` when the header announces more than
 * `maxDecodedBytes` (before allocating) and 400 `bad_snappy` when the input is corrupt.
 */
export function decompressBlock(buf: Buffer, maxDecodedBytes: number, impl?: SnappyImplementationName): Buffer {
  const { length, headerBytes } = readHeader(buf);
  if (length > maxDecodedBytes) {
    throw new AppError('body_too_large', `decompressed body would be ${length} bytes; the limit is ${maxDecodedBytes}`, {
      httpStatus: 413,
      details: { decodedBytes: length, maxDecodedBytes },
    });
  }
  const chosen = implFor(impl);
  let out: Buffer;
  try {
    out = chosen.uncompress(buf, length, headerBytes);
  } catch (err) {
    throw badSnappy(errorMessage(err).replace(/^snappy: /, ''));
  }
  if (out.length !== length) throw badSnappy(`decoded ${out.length} bytes but the header announced ${length}`);
  return out;
}

/** Compresses into one snappy block (tests and benchmarks; the receiver only decompresses). */
export function compressBlock(buf: Buffer, impl?: SnappyImplementationName): Buffer {
  return implFor(impl).compress(buf);
}
