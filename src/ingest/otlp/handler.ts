import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Request, RequestHandler, Response } from 'express';
import { AppError, errorMessage, isAppError } from '../../lib/errors.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { readBody } from '../remote-write/body.js';
import { decodeTracesJson } from './decode-json.js';
import { decodeTracesProto } from './decode-proto.js';
import { encodeExportResponseProto, encodeStatusProto, exportResponseJson } from './encode.js';
import type { ConsumeResult, OtlpTraces, SpanConsumer } from './types.js';
import { spanCount } from './types.js';

const gunzipAsync = promisify(gunzip);
const SOURCE = 'otlp';

export interface OtlpHandlerDeps {
  readonly consumer: SpanConsumer;
  readonly metrics: Metrics;
  /** Largest request body as received (compressed), 413 above. */
  readonly maxBodyBytes: number;
  /** Largest body after gzip decompression, 413 above (decompression stops there). */
  readonly maxDecodedBytes: number;
  /** Requests decoded at once; more are answered 503 with Retry-After (the exporter retries). Default 64. */
  readonly maxInFlight?: number;
  /** Retry-After seconds sent with 503. Default 5. */
  readonly retryAfterSeconds?: number;
  readonly logger?: { warn(obj: object, msg: string): void };
}

type Format = 'proto' | 'json';

/** gRPC status codes used in the error body (google.rpc.Status), as OTLP/HTTP specifies. */
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
const GRPC_INTERNAL = 13;
const GRPC_UNAUTHENTICATED = 16;

function formatOf(contentType: string | undefined): Format | undefined {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'proto';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

/**
 * POST /v1/traces (OTLP/HTTP, also served on :4318): protobuf or JSON, optionally gzip. Mount
 * without a body parser. 200 (with partial_success when spans were rejected) | 400 permanent |
 * 413 too large | 415 wrong content type or encoding | 503 + Retry-After when overloaded.
 * Responses use the request's content type (ExportTraceServiceResponse / google.rpc.Status).
 */
export function createOtlpTracesHandler(deps: OtlpHandlerDeps): RequestHandler {
  const maxInFlight = deps.maxInFlight ?? 64;
  const state = { inFlight: 0 };
  return (req, res) => {
    if (state.inFlight >= maxInFlight) {
      void readBody(req, 0, false).then(() => respondError(deps, res, formatOf(req.headers['content-type']) ?? 'json', overloaded(`more than ${maxInFlight} OTLP requests in flight`)));
      return;
    }
    state.inFlight++;
    handle(deps, req, res)
      .catch((err: unknown) => {
        deps.logger?.warn({ err: errorMessage(err) }, 'otlp handler failed');
        if (!res.headersSent) respondError(deps, res, 'json', new AppError('internal', 'internal error', { httpStatus: 500 }));
      })
      .finally(() => state.inFlight--);
  };
}

function overloaded(message: string): AppError {
  return new AppError('overloaded', message, { httpStatus: 503, retryable: true });
}

async function handle(deps: OtlpHandlerDeps, req: Request, res: Response): Promise<void> {
  const format = formatOf(req.headers['content-type']);
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let early: AppError | undefined;
  if (format === undefined) {
    early = new AppError('unsupported_media_type', `Content-Type must be application/x-protobuf or application/json, got ${JSON.stringify(req.headers['content-type'] ?? '')}`, { httpStatus: 415 });
  } else if (encoding !== 'gzip' && encoding !== 'identity' && encoding !== '') {
    early = new AppError('unsupported_encoding', `Content-Encoding must be gzip or identity, got ${JSON.stringify(encoding)}`, { httpStatus: 415 });
  }
  const read = await readBody(req, deps.maxBodyBytes, early === undefined);
  deps.metrics.ingestBytes.inc({ source: SOURCE }, read.bytes);
  if (read.kind === 'aborted') return;
  const fmt: Format = format ?? 'json';
  if (early) return respondError(deps, res, fmt, early);
  if (read.kind === 'too_large') {
    if (!req.readableEnded) {
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.destroy());
    }
    return respondError(deps, res, fmt, new AppError('body_too_large', `request body exceeds ${deps.maxBodyBytes} bytes`, { httpStatus: 413 }));
  }
  let traces: OtlpTraces;
  try {
    const body = encoding === 'gzip' ? await inflate(read.body, deps.maxDecodedBytes) : read.body;
    traces = fmt === 'proto' ? decodeTracesProto(body) : decodeTracesJson(body);
  } catch (err) {
    return respondError(deps, res, fmt, err);
  }
  let result: ConsumeResult;
  try {
    result = deps.consumer.consume(traces);
  } catch (err) {
    const e = isAppError(err) && (err.retryable || err.httpStatus === 429 || err.httpStatus === 503)
      ? overloaded(err.message)
      : isAppError(err) ? err : new AppError('consumer_failed', `processing spans failed: ${errorMessage(err)}`, { httpStatus: 500 });
    return respondError(deps, res, fmt, e);
  }
  deps.metrics.ingestRequests.inc({ source: SOURCE, code: '200' });
  if (result.rejected > 0) {
    deps.metrics.ingestDropped.inc({ source: SOURCE, reason: 'rejected_span' }, result.rejected);
    deps.logger?.warn({ rejected: result.rejected, total: spanCount(traces), reason: result.errorMessage }, 'otlp: spans rejected');
  }
  if (fmt === 'proto') {
    res.status(200).type('application/x-protobuf').send(encodeExportResponseProto(result));
  } else {
    res.status(200).type('application/json').send(JSON.stringify(exportResponseJson(result)));
  }
}

async function inflate(body: Buffer, maxDecodedBytes: number): Promise<Buffer> {
  try {
    return await gunzipAsync(body, { maxOutputLength: maxDecodedBytes });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new AppError('body_too_large', `decompressed body exceeds ${maxDecodedBytes} bytes`, { httpStatus: 413 });
    }
    throw new AppError('bad_gzip', `Content-Encoding gzip but the body does not decompress: ${errorMessage(err)}`, { httpStatus: 400 });
  }
}

function grpcCode(status: number): number {
  if (status === 401 || status === 403) return GRPC_UNAUTHENTICATED;
  if (status === 413) return GRPC_RESOURCE_EXHAUSTED;
  if (status === 503 || status === 429) return GRPC_UNAVAILABLE;
  if (status >= 500) return GRPC_INTERNAL;
  return GRPC_INVALID_ARGUMENT;
}

function respondError(deps: OtlpHandlerDeps, res: Response, fmt: Format, err: unknown): void {
  const appErr = isAppError(err) ? err : new AppError('internal', 'internal error', { httpStatus: 500, cause: err });
  let status = appErr.httpStatus >= 400 && appErr.httpStatus <= 599 ? appErr.httpStatus : 500;
  if (status === 429) status = 503;
  deps.metrics.ingestRequests.inc({ source: SOURCE, code: String(status) });
  deps.logger?.warn({ status, code: appErr.code, err: appErr.message }, 'otlp request rejected');
  if (res.headersSent) return;
  if (status === 503) res.setHeader('Retry-After', String(deps.retryAfterSeconds ?? 5));
  const message = `${appErr.code}: ${appErr.message}`;
  if (fmt === 'proto') {
    res.status(status).type('application/x-protobuf').send(encodeStatusProto(grpcCode(status), message));
  } else {
    res.status(status).type('application/json').send(JSON.stringify({ code: grpcCode(status), message }));
  }
}
