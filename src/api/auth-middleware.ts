import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import { AppError } from '../lib/errors.js';
import type { Authenticator } from '../auth/authenticator.js';
import { roleAtLeast, type Principal, type Role } from '../auth/roles.js';

/** The authenticated caller of this request (set by requireRole). */
export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new AppError('internal', 'route has no principal (missing requireRole)');
  return p;
}

/** 401 without or with bad credentials, 403 when the role is lower than the route's. */
export function requireRole(auth: Authenticator, role: Role): RequestHandler {
  return async (req, res, next) => {
    const principal = await auth.authenticate(req.headers.authorization);
    res.locals.principal = principal;
    if (!roleAtLeast(principal.role, role)) {
      if (principal.kind === 'anonymous') {
        throw new AppError('unauthorized', `authentication required: this route needs role ${role}`, { httpStatus: 401 });
      }
      throw new AppError('forbidden', `this route needs role ${role}; ${principal.subject} has ${principal.role}`, { httpStatus: 403 });
    }
    next();
  };
}

/** Optional bearer token for remote_write (sha256 hex in config); public when unset. */
export function remoteWriteGuard(tokenSha256: string | undefined): RequestHandler {
  const want = tokenSha256 ? Buffer.from(tokenSha256, 'hex') : undefined;
  return (req, _res, next) => {
    if (!want) return next();
    const m = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
    const got = createHash('sha256').update(m?.[1] ?? '').digest();
    if (!m || !timingSafeEqual(got, want)) throw new AppError('unauthorized', 'remote_write needs a valid bearer token', { httpStatus: 401 });
    next();
  };
}

export interface RateLimitConfig {
  readonly windowMs: number;
  /** Requests per window per credential (or per IP without one). 0 disables. */
  readonly limit: number;
}

/** Per credential (a hash of the Authorization header, never the header itself) or per client IP. */
export function apiRateLimiter(cfg: RateLimitConfig): RequestHandler {
  if (cfg.limit <= 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: cfg.windowMs,
    limit: cfg.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req: Request) => {
      const auth = req.headers.authorization;
      return auth ? `cred:${createHash('sha256').update(auth).digest('hex').slice(0, 32)}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    handler: (_req, res) => {
      res.status(429).json({ code: 'rate_limited', message: 'too many requests; slow down' });
    },
  });
}

/** CORS: off unless origins are configured; then only those exact origins, no credentials cookies. */
export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Aiopsd-Channel');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT');
      if (req.method === 'OPTIONS') {
        res.status(204).end();
        return;
      }
    }
    next();
  };
}
