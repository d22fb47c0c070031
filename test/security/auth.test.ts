/**
 * Security: authentication and the role matrix against a RUNNING daemon (startDaemon, real HTTP), with
 * static tokens for every role and OIDC (a loopback JWKS). Complements test/integration/api/roles.test.ts
 * (the matrix on the API harness) and test/unit/auth/authenticator.test.ts (JWT basics: iss, aud, exp,
 * nbf, kid, bad signature, alg none, HS256): here the daemon's own route list (its OpenAPI document,
 * generated from routeTable, with x-aiopsd-access) × every role, and the JWT/token edge cases those
 * tests do not cover (algorithm confusion, missing exp, crit headers, array audiences, oversize tokens,
 * token prefixes, odd schemes, non-string role claims).
 */
import { createHmac, createSign, KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { sha256Hex } from '../../src/auth/authenticator.js';
import { ROLES, roleAtLeast, type Role } from '../../src/auth/roles.js';
import { tempDir, testConfig } from '../support/env.js';

const ISS = 'https://idp.example';
const AUD = 'aiopsd';
const TOKENS: Record<Role, string> = { viewer: 'sec-viewer-token-0123456789', operator: 'sec-operator-token-0123456789', approver: 'sec-approver-token-0123456789', admin: 'sec-admin-token-0123456789' };
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

let daemon: Daemon;
let jwks: Server;
let privateKey: Parameters<typeof KeyObject.from>[0];
let publicPem = '';
let publicJwk: JWK;
const tmp = tempDir('aiopsd-sec-auth-');

beforeAll(async () => {
  const kp = await generateKeyPair('RS256', { extractable: true });
  privateKey = kp.privateKey as Parameters<typeof KeyObject.from>[0];
  publicPem = await exportSPKI(kp.publicKey);
  publicJwk = { ...(await exportJWK(kp.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => res.setHeader('Content-Type', 'application/json').end(JSON.stringify({ keys: [publicJwk] })));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
  const config = testConfig(tmp.dir, {
    api: {
      auth: {
        tokens: ROLES.map((role) => ({ name: `sec-${role}`, role, sha256: sha256Hex(TOKENS[role]) })),
        oidc: { issuer: ISS, audience: AUD, jwksUrl, algorithms: ['RS256'], roleClaim: 'groups', roleMap: { admins: 'admin', viewers: 'viewer' }, clockToleranceSec: 5 },
      },
      rateLimit: { limit: 0 },
    },
    detect: { detector: 'robust' },
  });
  daemon = await startDaemon({ config, logger: silentLogger(), autoCycle: false });
});
afterAll(async () => {
  await daemon?.stop();
  await new Promise<void>((r) => (jwks ? jwks.close(() => r()) : r()));
  tmp.cleanup();
});

async function call(method: string, path: string, auth?: string, body?: unknown): Promise<number> {
  const res = await fetch(`${daemon.url}${path}`, {
    method,
    headers: { ...(auth !== undefined ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(5000),
  });
  await res.arrayBuffer();
  return res.status;
}

async function jwt(claims: Record<string, unknown>, opts: { exp?: number | null; header?: Record<string, unknown> } = {}): Promise<string> {
  const s = new SignJWT({ groups: ['admins'], ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1', ...opts.header }).setIssuer(ISS).setSubject('carol').setIssuedAt();
  if (!('aud' in claims)) s.setAudience(AUD);
  if (opts.exp !== null) s.setExpirationTime(opts.exp ?? '5m');
  return s.sign(privateKey);
}

describe('role matrix on a running daemon: every route in its OpenAPI document × every role', () => {
  it('401 without or with bad credentials, 403 below the route\'s role, never 401/403 at or above it', async () => {
    const doc = (await (await fetch(`${daemon.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { 'x-aiopsd-access'?: string }>> };
    const ops = Object.entries(doc.paths).flatMap(([p, o]) => Object.entries(o).filter(([m]) => ['get', 'post', 'put'].includes(m)).map(([m, op]) => ({ method: m.toUpperCase(), path: p.replace(/\{[^}]+\}/g, 'dec_nonexistent'), access: op['x-aiopsd-access'] ?? '?' })));
    expect(ops.length).toBeGreaterThanOrEqual(20);
    const rows: string[] = [];
    for (const op of ops) {
      if (op.access === 'public' || op.access === 'remote_write' || op.access === 'slack') continue;
      expect(ROLES as readonly string[], `${op.method} ${op.path} access`).toContain(op.access);
      const body = op.method === 'GET' ? undefined : op.path.endsWith('killswitch') ? { on: false, reason: 'matrix' } : { reason: 'matrix' };
      expect(await call(op.method, op.path, undefined, body), `${op.method} ${op.path} unauthenticated`).toBe(401);
      expect(await call(op.method, op.path, 'Bearer not-a-token', body), `${op.method} ${op.path} bad token`).toBe(401);
      const cells: string[] = [];
      for (const role of ROLES) {
        const status = await call(op.method, op.path, `Bearer ${TOKENS[role]}`, body);
        cells.push(`${role}:${status}`);
        if (roleAtLeast(role, op.access as Role)) expect([401, 403], `${role} ${op.method} ${op.path} → ${status}`).not.toContain(status);
        else expect(status, `${role} ${op.method} ${op.path}`).toBe(403);
        expect(status, `${role} ${op.method} ${op.path}`).toBeLessThan(500);
      }
      rows.push(`${op.method} ${op.path} (${op.access}) ${cells.join(' ')}`);
    }
    console.log(`SECURITY role matrix (${rows.length} protected operations × 4 roles + 2 bad callers)\n${rows.join('\n')}`);
  });
});

describe('token and JWT edge cases (401 unless stated)', () => {
  const now = (): number => Math.floor(Date.now() / 1000);
  const cases: Array<[string, () => Promise<string>, number]> = [
    ['static token with one character more', async () => `Bearer ${TOKENS.admin}x`, 401],
    ['a prefix of a static token', async () => `Bearer ${TOKENS.admin.slice(0, -1)}`, 401],
    ['a static token in upper case', async () => `Bearer ${TOKENS.admin.toUpperCase()}`, 401],
    ['the sha256 from the config used as the token', async () => `Bearer ${sha256Hex(TOKENS.admin)}`, 401],
    ['Basic scheme with the token', async () => `Basic ${Buffer.from(`x:${TOKENS.admin}`).toString('base64')}`, 401],
    ['empty bearer', async () => 'Bearer ', 401],
    ['12 KiB token', async () => `Bearer ${'a'.repeat(12_000)}`, 401],
    ['JWT without exp', () => jwt({}, { exp: null }).then((t) => `Bearer ${t}`), 401],
    ['JWT expired beyond the 5 s tolerance', () => jwt({}, { exp: now() - 30 }).then((t) => `Bearer ${t}`), 401],
    ['JWT with an unknown crit header (validly signed)', async () => {
      const head = b64({ alg: 'RS256', kid: 'k1', crit: ['x-never'], 'x-never': 1 });
      const body = b64({ iss: ISS, aud: AUD, sub: 'carol', exp: now() + 300, groups: ['admins'] });
      const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(KeyObject.from(privateKey)).toString('base64url');
      return `Bearer ${head}.${body}.${sig}`;
    }, 401],
    ['JWT audience array without aiopsd', () => jwt({ aud: ['other', 'another'] }).then((t) => `Bearer ${t}`), 401],
    ['HS256 signed with the RSA public key (algorithm confusion)', async () => {
      const head = b64({ alg: 'HS256', kid: 'k1', typ: 'JWT' });
      const body = b64({ iss: ISS, aud: AUD, sub: 'mallory', exp: now() + 300, groups: ['admins'] });
      const sig = createHmac('sha256', publicPem).update(`${head}.${body}`).digest('base64url');
      return `Bearer ${head}.${body}.${sig}`;
    }, 401],
    ['HS256 keyed with the JWK "n" (algorithm confusion, variant)', async () => {
      const head = b64({ alg: 'HS256', kid: 'k1' });
      const body = b64({ iss: ISS, aud: AUD, sub: 'mallory', exp: now() + 300, groups: ['admins'] });
      return `Bearer ${head}.${body}.${createHmac('sha256', String(publicJwk.n)).update(`${head}.${body}`).digest('base64url')}`;
    }, 401],
    ['a valid JWT with its payload swapped (signature over the old one)', async () => {
      const [h, , s] = (await jwt({ groups: ['viewers'] })).split('.');
      return `Bearer ${h}.${b64({ iss: ISS, aud: AUD, sub: 'carol', exp: now() + 300, groups: ['admins'] })}.${s}`;
    }, 401],
    ['JWT with a non-string role claim (object)', () => jwt({ groups: { admins: true } }).then((t) => `Bearer ${t}`), 403],
    ['JWT with a numeric role claim', () => jwt({ groups: 42 }).then((t) => `Bearer ${t}`), 403],
  ];
  for (const [name, make, expected] of cases) {
    it(name, async () => {
      const status = await call('PUT', '/api/v1/killswitch', await make(), { on: false, reason: 'edge' });
      expect(status, name).toBe(expected);
    });
  }

  it('a 60 KiB Authorization header: 431 from Node before any parsing (never 5xx)', async () => {
    expect(await call('GET', '/api/v1/whoami', `Bearer ${'a'.repeat(60_000)}`)).toBe(431);
  });

  it('accepted: a JWT inside the clock tolerance, and an audience array holding aiopsd (viewer can read, cannot flip the switch)', async () => {
    const t = await jwt({ groups: ['viewers'], aud: ['other', AUD] }, { exp: now() - 2 });
    expect(await call('GET', '/api/v1/whoami', `Bearer ${t}`)).toBe(200);
    expect(await call('PUT', '/api/v1/killswitch', `Bearer ${t}`, { on: false, reason: 'edge' })).toBe(403);
  });

  it('the lower-case "bearer" scheme is accepted (RFC 7235: the scheme is case-insensitive)', async () => {
    expect(await call('GET', '/api/v1/whoami', `bearer ${TOKENS.viewer}`)).toBe(200);
    expect(await call('GET', '/api/v1/whoami', `bearer ${TOKENS.viewer}x`)).toBe(401);
  });
});
