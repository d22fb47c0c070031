import type { IncomingMessage } from 'node:http';

/** Bytes we keep reading (and discarding) after the cap, so the sender gets to read our 413. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

export type BodyResult =
  | { readonly kind: 'ok'; readonly body: Buffer; readonly bytes: number }
  | { readonly kind: 'too_large'; readonly bytes: number; readonly declared: number | undefined }
  | { readonly kind: 'aborted'; readonly bytes: number };

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

/**
 * Reads the raw request body, never buffering more than `maxBytes`. Past the cap (or when `keep`
 * is false, e.g. the request is already known to be rejected) chunks are discarded, and the stream
 * is drained to its end so the response can be read by the sender, the way finalhandler does it;
 * a sender that keeps going beyond the drain limit gets its connection closed.
 */
export function readBody(req: IncomingMessage, maxBytes: number, keep: boolean): Promise<BodyResult> {
  const preParsed = (req as IncomingMessage & { body?: unknown }).body;
  if (Buffer.isBuffer(preParsed)) {
    // A raw body parser already read it (e.g. mounted behind express.raw()).
    const bytes = preParsed.length;
    return Promise.resolve(bytes > maxBytes ? { kind: 'too_large', bytes, declared: bytes } : { kind: 'ok', body: preParsed, bytes });
  }
  const declared = declaredLength(req);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let over = declared !== undefined && declared > maxBytes;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > maxBytes) over = true;
      if (over || !keep) {
        chunks.length = 0;
        if (bytes > maxBytes + DRAIN_LIMIT_BYTES) settle({ kind: 'too_large', bytes, declared });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (over) settle({ kind: 'too_large', bytes, declared });
      else settle({ kind: 'ok', body: keep ? Buffer.concat(chunks, bytes) : Buffer.alloc(0), bytes });
    };
    const onAbort = (): void => settle({ kind: 'aborted', bytes });
    const onClose = (): void => {
      if (!req.readableEnded) onAbort();
    };
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onClose);
    if (req.readableEnded) onEnd();
  });
}
