/**
 * Turns an `Authorization: Bearer …` header into a Principal, or refuses it.
 *
 * - Static tokens: the config holds only sha256(token) in hex, a name and a role. The presented
 *   token is hashed and compared in constant time with every configured hash (no early exit).
 * - OIDC JWTs (jose): signature against the issuer's JWKS (createRemoteJWKSet, cached, refetched on
 *   an unknown kid), issuer, audience, an allow-list of algorithms (never "none"), exp/nbf/iat with a
 *   small clock tolerance; the role comes from a claim mapped through `roleMap`.
 * - No credential: the anonymous role (viewer when nothing is configured, none otherwise).
 *
 * Error messages never echo the presented credential.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AppError } from '../lib/errors.js';
import { isRole, type Principal, type Role } from './roles.js';

export interface StaticTokenConfig {
  /** Identity recorded as the actor (a person's user name, or a service account name). */
  readonly name: string;
  /** sha256 of the token, lowercase hex (64 chars). */
  readonly sha256: string;
  readonly role: Role;
  readonly kind?: 'person' | 'service_account';
}

export interface OidcConfig {
  readonly issuer: string;
  readonly audience: string | readonly string[];
  readonly jwksUrl: string;
  readonly algorithms: readonly string[];
  /** Claim holding the identity recorded as the actor (default sub). */
  readonly subjectClaim?: string;
  /** Claim holding role names or group names (string or array; dotted path allowed, e.g. realm_access.roles). */
  readonly roleClaim: string;
  /** claim value → role; the highest mapped role wins. Values not in the map grant nothing. */
  readonly roleMap: Readonly<Record<string, Role>>;
  readonly clockToleranceSec?: number;
  /** Maximum token age from iat, seconds (optional). */
  readonly maxTokenAgeSec?: number;
}

export interface AuthConfig {
  readonly tokens: readonly StaticTokenConfig[];
  readonly oidc?: OidcConfig;
  /** Role of a caller without credentials. Default: viewer when no tokens and no OIDC are configured, else none. */
  readonly anonymous?: 'none' | 'viewer';
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const unauthorized = (message: string): AppError => new AppError('unauthorized', message, { httpStatus: 401 });

export class Authenticator {
  private readonly tokens: Array<{ hash: Buffer; cfg: StaticTokenConfig }>;
  private readonly jwks: JWTVerifyGetKey | undefined;
  readonly anonymousRole: Role | undefined;

  constructor(
    private readonly config: AuthConfig,
    opts: { jwks?: JWTVerifyGetKey } = {},
  ) {
    this.tokens = config.tokens.map((cfg) => {
      if (!/^[0-9a-f]{64}$/.test(cfg.sha256)) throw new AppError('config_invalid', `api token "${cfg.name}": sha256 must be 64 lowercase hex characters`);
      return { hash: Buffer.from(cfg.sha256, 'hex'), cfg };
    });
    if (config.oidc) {
      if (config.oidc.algorithms.length === 0 || config.oidc.algorithms.some((a) => a.toLowerCase() === 'none')) {
        throw new AppError('config_invalid', 'oidc.algorithms must list at least one algorithm and never "none"');
      }
      this.jwks = opts.jwks ?? createRemoteJWKSet(new URL(config.oidc.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5000 });
    }
    const nothingConfigured = this.tokens.length === 0 && !config.oidc;
    const anon = config.anonymous ?? (nothingConfigured ? 'viewer' : 'none');
    this.anonymousRole = anon === 'viewer' ? 'viewer' : undefined;
  }

  /** Is any credential type configured? */
  get enabled(): boolean {
    return this.tokens.length > 0 || this.config.oidc !== undefined;
  }

  /** The Principal for an Authorization header value; throws 401 AppError when it is missing or bad. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined || authorization === '') {
      if (this.anonymousRole) return { subject: 'anonymous', role: this.anonymousRole, method: 'anonymous', kind: 'anonymous' };
      throw unauthorized('authentication required (Authorization: Bearer <token>)');
    }
    const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization); // RFC 7235: the scheme is case-insensitive
    if (!m) throw unauthorized('malformed Authorization header (expected "Bearer <token>")');
    const token = m[1]!;
    if (this.config.oidc && looksLikeJwt(token)) return this.verifyJwt(token, this.config.oidc);
    const byToken = this.matchStatic(token);
    if (byToken) return byToken;
    throw unauthorized('invalid credentials');
  }

  private matchStatic(token: string): Principal | undefined {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let found: StaticTokenConfig | undefined;
    for (const t of this.tokens) {
      // compare against every entry so timing does not reveal which one matched
      if (timingSafeEqual(presented, t.hash) && !found) found = t.cfg;
    }
    return found ? { subject: found.name, role: found.role, method: 'token', kind: found.kind ?? 'person' } : undefined;
  }

  private async verifyJwt(token: string, oidc: OidcConfig): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks!, {
        issuer: oidc.issuer,
        audience: typeof oidc.audience === 'string' ? oidc.audience : [...oidc.audience],
        algorithms: [...oidc.algorithms],
        clockTolerance: oidc.clockToleranceSec ?? 30,
        requiredClaims: ['exp'],
        ...(oidc.maxTokenAgeSec !== undefined ? { maxTokenAge: oidc.maxTokenAgeSec } : {}),
      }));
    } catch (err) {
      throw unauthorized(`invalid token: ${jwtReason(err)}`);
    }
    const subjectValue = claimAt(payload, oidc.subjectClaim ?? 'sub');
    if (typeof subjectValue !== 'string' || subjectValue === '') throw unauthorized(`invalid token: no ${oidc.subjectClaim ?? 'sub'} claim`);
    const role = mapRole(claimAt(payload, oidc.roleClaim), oidc.roleMap);
    if (!role) throw new AppError('forbidden', `token for ${subjectValue} carries no role mapped by oidc.roleMap`, { httpStatus: 403 });
    return { subject: subjectValue, role, method: 'oidc', kind: 'person' };
  }
}

function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token);
}

function claimAt(payload: JWTPayload, path: string): unknown {
  let cur: unknown = payload;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function mapRole(value: unknown, roleMap: Readonly<Record<string, Role>>): Role | undefined {
  const values = Array.isArray(value) ? value : [value];
  let best: Role | undefined;
  const order: Role[] = ['viewer', 'operator', 'approver', 'admin'];
  for (const v of values) {
    if (typeof v !== 'string' || !Object.hasOwn(roleMap, v)) continue;
    const r = roleMap[v];
    if (isRole(r) && (best === undefined || order.indexOf(r) > order.indexOf(best))) best = r;
  }
  return best;
}

/** A short reason safe to show (jose error codes, never the token). */
function jwtReason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} ${err.reason}`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no matching key';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JWKSTimeout) return 'key set unavailable';
  if (err instanceof joseErrors.JOSEError) return err.code;
  return 'unverifiable';
}
