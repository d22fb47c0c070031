import type { Request, RequestHandler, Response } from 'express';
import type { AppendResult, SampleSink } from '../../domain/types.js';
import { AppError, errorMessage, isAppError } from '../../lib/errors.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { isSeriesBatchSink } from '../../series/store.js';
import { readBody } from './body.js';
import { checkContentEncoding, remoteWriteVersionOf } from './content-type.js';
import { decodeWriteRequestV1 } from './decode-v1.js';
import { decodeWriteRequestV2 } from './decode-v2.js';
import { decompressBlock } from './snappy.js';
import type { DecodedWriteRequest, RemoteWriteVersion } from './types.js';

const SOURCE = 'remote_write';
export const HEADER_SAMPLES_WRITTEN = 'X-Prometheus-Remote-Write-Samples-Written';
export const HEADER_HISTOGRAMS_WRITTEN = 'X-Prometheus-Remote-Write-Histograms-Written';
export const HEADER_EXEMPLARS_WRITTEN = 'X-Prometheus-Remote-Write-Exemplars-Written';

export interface RemoteWriteHandlerDeps {
  /** Gets the samples grouped by series (appendSeries) when it has that method, else one Sample each (append). */
  sink: SampleSink;
  metrics: Metrics;
  /** Largest compressed body accepted (413 beyond). */
  maxBodyBytes: number;
  /** Largest decompressed body accepted, checked from the snappy header before allocating (413 beyond). */
  maxDecodedBytes: number;
  logger?: { warn(obj: object, msg: string): void };
}

interface Written {
  samples: number;
  histograms: number;
  exemplars: number;
}

const NOTHING_WRITTEN: Written = { samples: 0, histograms: 0, exemplars: 0 };

/**
 * POST handler for Prometheus remote_write 1.0 and 2.0 (express 5). Reads the raw body itself,
 * so mount it without a body parser. Answers 204 on success (2.0 with the *-Written headers),
 * 4xx with `{code, message}` for requests that will never succeed, and 503 when the sink is
 * temporarily unable to take samples (the sender retries 5xx; it drops data on 429, so never 429).
 */
export function createRemoteWriteHandler(deps: RemoteWriteHandlerDeps): RequestHandler {
  return (req, res) => handle(deps, req, res).catch((err: unknown) => {
    // handle() answers every error itself; this is the last line of defence against a bug.
    deps.logger?.warn({ err: errorMessage(err) }, 'remote_write handler failed');
    if (!res.headersSent) respondError(deps, res, undefined, new AppError('internal', 'internal error', { httpStatus: 500 }));
  });
}

async function handle(deps: RemoteWriteHandlerDeps, req: Request, res: Response): Promise<void> {
  let version: RemoteWriteVersion | undefined;
  let early: unknown;
  try {
    version = remoteWriteVersionOf(req.headers['content-type']);
    checkContentEncoding(req.headers['content-encoding']);
  } catch (err) {
    early = err;
  }
  const read = await readBody(req, deps.maxBodyBytes, early === undefined);
  deps.metrics.ingestBytes.inc({ source: SOURCE }, read.bytes);
  if (read.kind === 'aborted') return;
  if (early !== undefined) return respondError(deps, res, version, early);
  if (read.kind === 'too_large') {
    if (!req.readableEnded) {
      // The sender is still sending past the drain limit: answer and close the connection.
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.destroy());
    }
    const what = read.declared === undefined ? `request body exceeds ${deps.maxBodyBytes} bytes` : `request body is ${read.declared} bytes`;
    const error = new AppError('body_too_large', `${what}; the limit is ${deps.maxBodyBytes}`, { httpStatus: 413 });
    return respondError(deps, res, version, error);
  }
  let decoded: DecodedWriteRequest;
  try {
    decoded = decode(version as RemoteWriteVersion, decompressBlock(read.body, deps.maxDecodedBytes));
  } catch (err) {
    return respondError(deps, res, version, err);
  }
  let result: AppendResult;
  try {
    result = isSeriesBatchSink(deps.sink) ? deps.sink.appendSeries(decoded.batch) : deps.sink.append(decoded.samples);
  } catch (err) {
    return respondError(deps, res, version, sinkError(err));
  }
  respondOk(deps, res, decoded, result);
}

function decode(version: RemoteWriteVersion, body: Buffer): DecodedWriteRequest {
  return version === 'v2' ? decodeWriteRequestV2(body) : decodeWriteRequestV1(body);
}

/** A sink's failure as the sender should see it: retryable → 503, never 429, unknown → 500. */
function sinkError(err: unknown): AppError {
  if (!isAppError(err)) {
    return new AppError('sink_failed', `storing samples failed: ${errorMessage(err)}`, { httpStatus: 500, retryable: true, cause: err });
  }
  if (err.retryable || err.httpStatus === 429) {
    return new AppError(err.code, err.message, { httpStatus: 503, retryable: true, details: err.details, cause: err });
  }
  return err;
}

function respondOk(deps: RemoteWriteHandlerDeps, res: Response, decoded: DecodedWriteRequest, result: AppendResult): void {
  // Accepted and dropped samples are counted by the sink (the series store), once.
  if (result.refused > 0) {
    deps.logger?.warn({ refused: result.refused, accepted: result.accepted }, 'remote_write: sink refused samples');
  }
  if (decoded.version === 'v2') {
    // Duplicates are already stored (a retried request), so they count as written. aiopsd does not
    // store exemplars, and requests with native histograms are rejected: both are reported as 0.
    setWritten(res, { samples: result.accepted + result.duplicate, histograms: 0, exemplars: 0 });
  }
  deps.metrics.ingestRequests.inc({ source: SOURCE, code: '204' });
  res.status(204).end();
}

function setWritten(res: Response, written: Written): void {
  res.setHeader(HEADER_SAMPLES_WRITTEN, String(written.samples));
  res.setHeader(HEADER_HISTOGRAMS_WRITTEN, String(written.histograms));
  res.setHeader(HEADER_EXEMPLARS_WRITTEN, String(written.exemplars));
}

function respondError(deps: RemoteWriteHandlerDeps, res: Response, version: RemoteWriteVersion | undefined, err: unknown): void {
  const appErr = isAppError(err) ? err : new AppError('internal', 'internal error', { httpStatus: 500, cause: err });
  let status = appErr.httpStatus >= 400 && appErr.httpStatus <= 599 ? appErr.httpStatus : 500;
  if (status === 429) status = 503;
  deps.metrics.ingestRequests.inc({ source: SOURCE, code: String(status) });
  const message = appErr === err ? appErr.message : errorMessage(err);
  deps.logger?.warn({ status, code: appErr.code, err: message }, 'remote_write request rejected');
  if (res.headersSent) return;
  if (version === 'v2') setWritten(res, NOTHING_WRITTEN);
  res.status(status).json({ code: appErr.code, message: appErr.message });
}
