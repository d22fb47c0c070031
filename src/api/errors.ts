import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isAppError } from '../lib/errors.js';
import type { Logger } from '../telemetry/logger.js';

/** Every error leaves as JSON with a stable `code` and a readable `message`; 5xx details stay in the log. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const appErr = toAppError(err);
    if (appErr.httpStatus >= 500) logger.error({ err, path: req.path, code: appErr.code }, 'request failed');
    if (res.headersSent) return;
    if (appErr.retryable && appErr.httpStatus === 503) res.setHeader('Retry-After', '5');
    res.status(appErr.httpStatus).json(appErr.httpStatus >= 500 && appErr.code === 'internal' ? { code: 'internal', message: 'internal error (see the aiopsd log)' } : appErr.toJSON());
  };
}

function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const e = err as { type?: string; status?: number; message?: string };
  // body-parser errors carry a status and a type
  if (e?.type === 'entity.too.large') return new AppError('body_too_large', 'request body is over the size limit', { httpStatus: 413 });
  if (e?.type === 'entity.parse.failed') return new AppError('bad_json', `request body is not valid JSON: ${e.message ?? ''}`, { httpStatus: 400 });
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new AppError('bad_request', e.message ?? 'bad request', { httpStatus: e.status });
  return new AppError('internal', e?.message ?? String(err), { httpStatus: 500 });
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ code: 'not_found', message: `no route for ${req.method} ${req.path}` });
};

/** Parse an optional positive integer query parameter, or answer 400 naming it. */
export function intParam(value: unknown, name: string, opts: { min: number; max: number }): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < opts.min || n > opts.max) {
    throw new AppError('bad_parameter', `${name} must be an integer from ${opts.min} to ${opts.max}, got ${JSON.stringify(value)}`, { httpStatus: 400 });
  }
  return n;
}
