/**
 * One error type for the whole daemon. `code` is stable and machine-readable (it appears in API
 * responses and audit records); `message` is for people; `retryable` steers queues and senders;
 * `httpStatus` is what an HTTP route answers when this error reaches it.
 */
export interface AppErrorOptions {
  httpStatus?: number;
  retryable?: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.httpStatus = options.httpStatus ?? 500;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** 400: the input is invalid and re-sending it unchanged will fail again. */
export function badRequest(code: string, message: string, details?: Record<string, unknown>): AppError {
  return new AppError(code, message, { httpStatus: 400, retryable: false, details });
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
