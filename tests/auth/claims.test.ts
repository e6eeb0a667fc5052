// getClaims() and the JWKS (docs/PLATFORM.md, "Signing keys and JWKS", "getClaims check"): ES256
// tokens verify locally after exactly one JWKS fetch; HS256 tokens fall back to GET /user; a
// tampered token is an invalid_jwt error.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  client,
  countingFetch,
  createUser,
  decodeJwt,
  forgeries,
  raw,
  signHs256,
  signIn,
  stack,
  type TestUser,
} from './helpers.ts';

let user: TestUser;
let accessToken: string;

beforeAll(async () => {
  user = await createUser('claims');
  accessToken = (await signIn(user)).session.access_token;
});

/** A client with its own storage key, so auth-js's process-wide JWKS cache starts empty. */
function countedClient() {
  const counter = countingFetch();
  const c = client({ fetch: counter.fetch, storageKey: `claims-${randomBytes(6).toString('hex')}` });
  return { c, counter };
}

describe('JWKS', () => {
  it('lists the public ES256 key, cacheable for 10 minutes', async () => {
    const res = await raw('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=600');
    const keys = res.body!.keys as Record<string, unknown>[];
    const key = keys.find((k) => k.kid === decodeJwt(accessToken).header.kid);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key?.key_ops).toContain('verify');
    expect(key).not.toHaveProperty('d');
    expect(key).not.toHaveProperty('ext', false);
    expect(keys.every((k) => k.kty !== 'oct')).toBe(true);
  });
});

describe('getClaims', () => {
  it('verifies an ES256 token with exactly one JWKS fetch and no /user call', async () => {
    const { c, counter } = countedClient();
    const { data, error } = await c.auth.getClaims(accessToken);
    expect(error).toBeNull();
    expect(data?.claims.sub).toBe(user.id);
    expect(data?.header.alg).toBe('ES256');
    // A second call is served from the cached key set.
    expect((await c.auth.getClaims(accessToken)).error).toBeNull();
    expect(counter.count('/.well-known/jwks.json')).toBe(1);
    expect(counter.count('/user')).toBe(0);
  });

  it('a tampered signature is an invalid_jwt error', async () => {
    const forged = await forgeries(accessToken, stack.jwtSecret);
    for (const name of ['tampered signature', 'tampered payload', 'signed with another ES256 key under the same kid']) {
      const { c, counter } = countedClient();
      const { data, error } = await c.auth.getClaims(forged[name]!);
      expect(data, name).toBeNull();
      expect(error?.code, name).toBe('invalid_jwt');
      expect(error?.message, name).toBe('Invalid JWT signature');
      expect(counter.count('/user'), name).toBe(0);
    }
  });

  it('an HS256 token (no kid) is checked with GET /user instead', async () => {
    const payload = decodeJwt(accessToken).payload;
    const hs = await signHs256(payload, stack.jwtSecret);
    const { c, counter } = countedClient();
    const { data, error } = await c.auth.getClaims(hs);
    expect(error).toBeNull();
    expect(data?.claims.sub).toBe(user.id);
    expect(counter.count('/user')).toBe(1);
    expect(counter.count('/.well-known/jwks.json')).toBe(0);
  });

  it('an HS256 token with a wrong secret fails on the server side', async () => {
    const forged = await forgeries(accessToken, stack.jwtSecret);
    const { c, counter } = countedClient();
    const { data, error } = await c.auth.getClaims(forged['HS256 with a wrong secret']!);
    expect(data).toBeNull();
    expect(error?.status).toBe(403);
    expect(error?.code).toBe('bad_jwt');
    expect(counter.count('/user')).toBe(1);
  });
});
