import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';

type SigningKey = Parameters<SignJWT['sign']>[0];
import { Authenticator, sha256Hex, type OidcConfig } from '../../../src/auth/authenticator.js';

let server: Server;
let jwksUrl: string;
let key: SigningKey;
let otherKey: SigningKey;
const ISS = 'https://idp.example';
const AUD = 'aiopsd';

beforeAll(async () => {
  const kp = await generateKeyPair('RS256');
  key = kp.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(kp.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});
afterAll(async () => new Promise<void>((r) => server.close(() => r())));

const oidc = (): OidcConfig => ({ issuer: ISS, audience: AUD, jwksUrl, algorithms: ['RS256'], roleClaim: 'groups', roleMap: { 'sre-approvers': 'approver', 'sre-admins': 'admin', sre: 'viewer' }, clockToleranceSec: 5 });

async function jwt(opts: { iss?: string; aud?: string; kid?: string; exp?: number | string; nbf?: number | string; groups?: unknown; signWith?: SigningKey; sub?: string } = {}): Promise<string> {
  const s = new SignJWT({ groups: opts.groups ?? ['sre', 'sre-approvers'] })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
    .setIssuer(opts.iss ?? ISS)
    .setAudience(opts.aud ?? AUD)
    .setSubject(opts.sub ?? 'carol@example.com')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m');
  if (opts.nbf !== undefined) s.setNotBefore(opts.nbf);
  return s.sign(opts.signWith ?? key);
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('static tokens', () => {
  const auth = new Authenticator({ tokens: [{ name: 'alice', sha256: sha256Hex('tok-a'), role: 'approver' }, { name: 'ci', sha256: sha256Hex('tok-ci'), role: 'operator', kind: 'service_account' }] });
  it('maps a token to its name and role; the config holds only the hash', async () => {
    expect(await auth.authenticate('Bearer tok-a')).toEqual({ subject: 'alice', role: 'approver', method: 'token', kind: 'person' });
    expect(await auth.authenticate('Bearer tok-ci')).toMatchObject({ subject: 'ci', kind: 'service_account' });
  });
  it('refuses unknown, malformed and missing credentials with 401', async () => {
    for (const h of ['Bearer nope', 'Basic dG9rLWE=', 'Bearer', 'tok-a', undefined]) {
      await expect(auth.authenticate(h)).rejects.toMatchObject({ httpStatus: 401 });
    }
  });
  it('rejects a malformed hash in config', () => {
    expect(() => new Authenticator({ tokens: [{ name: 'x', sha256: 'abc', role: 'viewer' }] })).toThrow(/sha256/);
  });
  it('anonymous viewer only when nothing is configured', async () => {
    expect(await new Authenticator({ tokens: [] }).authenticate(undefined)).toMatchObject({ role: 'viewer', method: 'anonymous' });
    await expect(new Authenticator({ tokens: [], anonymous: 'none' }).authenticate(undefined)).rejects.toMatchObject({ httpStatus: 401 });
  });
});

describe('OIDC JWTs (JWKS served on loopback)', () => {
  const auth = (): Authenticator => new Authenticator({ tokens: [], oidc: oidc() });
  it('accepts a valid token and maps the highest role from the claim', async () => {
    expect(await auth().authenticate(`Bearer ${await jwt()}`)).toEqual({ subject: 'carol@example.com', role: 'approver', method: 'oidc', kind: 'person' });
    expect((await auth().authenticate(`Bearer ${await jwt({ groups: 'sre-admins' })}`)).role).toBe('admin');
  });
  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ['wrong issuer', () => jwt({ iss: 'https://evil.example' }), /iss/],
    ['wrong audience', () => jwt({ aud: 'other' }), /aud/],
    ['expired', () => jwt({ exp: Math.floor(Date.now() / 1000) - 60 }), /expired/],
    ['not yet valid', () => jwt({ nbf: Math.floor(Date.now() / 1000) + 600 }), /nbf/],
    ['unknown kid', () => jwt({ kid: 'k-unknown' }), /no matching key|unverifiable|ERR_JWKS/],
    ['bad signature', () => jwt({ signWith: otherKey }), /signature/],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISS, aud: AUD, sub: 'x', exp: Math.floor(Date.now() / 1000) + 60, groups: ['sre-admins'] })}.`, /.+/],
    ['HS256 (algorithm not allowed)', async () => `${b64({ alg: 'HS256', kid: 'k1' })}.${b64({ iss: ISS, aud: AUD, sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 })}.c2ln`, /algorithm|.+/],
  ];
  for (const [name, make, reason] of cases) {
    it(`refuses ${name} with 401`, async () => {
      const token = await make();
      const err = await auth().authenticate(`Bearer ${token}`).then(() => undefined, (e: { httpStatus: number; message: string }) => e);
      expect(err?.httpStatus).toBe(401);
      expect(err?.message).toMatch(reason);
      expect(err?.message).not.toContain(token);
    });
  }
  it('a valid token without a mapped role is 403', async () => {
    await expect(auth().authenticate(`Bearer ${await jwt({ groups: ['marketing'] })}`)).rejects.toMatchObject({ httpStatus: 403 });
  });
  it('refuses "none" in the algorithm allow-list at construction', () => {
    expect(() => new Authenticator({ tokens: [], oidc: { ...oidc(), algorithms: ['none'] } })).toThrow(/none/);
  });
});
