// Bearer tokens: Supabase Auth's ES256 user tokens and legacy HS256 ones are accepted, the anon and
// service-role keys (legacy JWTs and sb_ keys) map to their roles, and every forged, expired or
// foreign token gets 401 invalid_token (never anon) and changes nothing.
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningFunction } from '../../local/functions.ts';
import { call, closeDb, createTeam, es256Token, expectProblem, expectStatus, hs256Token, snapshot, stack, startApiFunction, userClaims, type Team } from './helpers.ts';

let team: Team;

beforeAll(async () => {
  team = await createTeam('Token suite');
});
afterAll(closeDb);

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('accepted tokens', () => {
  it('an ES256 token from Auth (with kid) and an HS256 token with the JWT secret both act as the user', async () => {
    for (const token of [team.owner.token, await hs256Token(userClaims(team.owner))]) {
      const res = await call(`/workspaces/${team.workspaceId}`, { as: token });
      expectStatus(res, 200);
      expect(res.body.role).toBe('owner');
    }
  });

  it('an admin claim in app_metadata makes a platform admin, nothing else does', async () => {
    const fake = await es256Token(userClaims(team.editor, { user_metadata: { role: 'admin' } }));
    expectProblem(await call('/presets', { method: 'POST', as: fake, body: { name: `x${Date.now()}`, category: 'x', axes: { density: 0, warmth: 0, playfulness: 0, sophistication: 0, energy: 0 }, builtin: true } }), 403);
  });
});

describe('rejected tokens', () => {
  const claims = () => userClaims(team.owner);

  const cases: [string, () => Promise<string>][] = [
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
    ['signed with another EC key', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      return new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'b81269f1-21d8-4f2e-b719-c2240a840d90', typ: 'JWT' }).sign(privateKey);
    }],
    ['an unknown kid', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      return new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'somebody-else', typ: 'JWT' }).sign(privateKey);
    }],
    ['RS256 from a foreign key', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(privateKey);
    }],
    ['HS256 with a wrong secret', async () => hs256Token(claims(), 'not-the-secret-not-the-secret-not-the-secret')],
    ['a tampered payload', async () => {
      const [header, , signature] = team.owner.token.split('.');
      return `${header}.${b64({ ...claims(), app_metadata: { role: 'admin' } })}.${signature}`;
    }],
    ['a tampered signature', async () => `${team.owner.token.slice(0, -4)}AAAA`],
    ['an expired token', async () => es256Token(userClaims(team.owner, { exp: Math.floor(Date.now() / 1000) - 60 }))],
    ['no exp', async () => {
      const { exp: _exp, ...rest } = claims();
      return es256Token(rest);
    }],
    ['a wrong audience', async () => es256Token(userClaims(team.owner, { aud: 'somebody-else' }))],
    ['no audience on a user token', async () => es256Token(userClaims(team.owner, { aud: undefined }))],
    ['an unknown role', async () => es256Token(userClaims(team.owner, { role: 'postgres' }))],
    ['supabase_admin role', async () => hs256Token({ role: 'supabase_admin', exp: Math.floor(Date.now() / 1000) + 60 })],
    ['a subject that is not a UUID', async () => es256Token(userClaims(team.owner, { sub: "1' or '1'='1" }))],
    ['garbage', async () => 'not.a.jwt'],
    ['an opaque key that is not ours', async () => 'sb_publishable_somebody_elses_key'],
  ];

  for (const [name, make] of cases) {
    it(`${name}: 401 invalid_token with a Bearer challenge, and nothing changes`, async () => {
      const token = await make();
      const before = await snapshot(team);
      for (const [method, path, body] of [
        ['GET', `/workspaces/${team.workspaceId}`, undefined],
        ['PATCH', `/workspaces/${team.workspaceId}`, { name: 'Forged' }],
        ['POST', '/workspaces', { name: 'Forged' }],
        ['GET', '/presets', undefined], // even on routes anon may use: a bad token is never anon
      ] as const) {
        const res = await call(path, { method, as: token, body });
        expectProblem(res, 401, 'invalid_token');
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      }
      expect(await snapshot(team)).toEqual(before);
    });
  }

  it('an Authorization header that is not Bearer is rejected', async () => {
    const res = await call('/presets', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
    expectProblem(res, 401, 'invalid_token');
    expect(res.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });
});

describe('where the keys come from', () => {
  let remoteJwks: RunningFunction;
  let octOnly: RunningFunction;

  beforeAll(async () => {
    [remoteJwks, octOnly] = await Promise.all([
      // No SUPABASE_JWKS: ES256 keys are fetched from Auth's JWKS endpoint (through the gateway).
      startApiFunction({ SUPABASE_JWKS: '' }),
      // No SUPABASE_JWT_SECRET: HS256 tokens verify with the oct key inside SUPABASE_JWKS.
      startApiFunction({ SUPABASE_JWT_SECRET: '' }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([remoteJwks?.stop(), octOnly?.stop()]);
  });

  it('verifies ES256 user tokens through the JWKS fetched from Auth, and still refuses foreign keys', async () => {
    const base = `${remoteJwks.upstream}/api/v1`;
    const res = await call(`/workspaces/${team.workspaceId}`, { base, as: team.viewer });
    expectStatus(res, 200);
    expect(res.body.role).toBe('viewer');
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT(userClaims(team.owner)).setProtectedHeader({ alg: 'ES256', kid: 'b81269f1-21d8-4f2e-b719-c2240a840d90' }).sign(privateKey);
    expectProblem(await call('/workspaces', { base, as: foreign }), 401, 'invalid_token');
    // HS256 still works with SUPABASE_JWT_SECRET.
    expectStatus(await call('/workspaces', { base, as: await hs256Token(userClaims(team.owner)) }), 200);
  });

  it('verifies HS256 tokens with the oct key of SUPABASE_JWKS when no JWT secret is set', async () => {
    const base = `${octOnly.upstream}/api/v1`;
    expectStatus(await call('/workspaces', { base, as: await hs256Token(userClaims(team.owner)) }), 200);
    expectStatus(await call('/workspaces', { base, as: stack.serviceRoleKey }), 200);
    expectProblem(await call('/workspaces', { base, as: await hs256Token(userClaims(team.owner), 'another-secret-another-secret-another') }), 401, 'invalid_token');
  });
});
