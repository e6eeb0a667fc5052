// Bad input on purpose, property-based (fast-check) for every write route and the list/search query
// strings, plus the hand-picked nasties: huge bodies, wrong content types, malformed and deep JSON,
// NUL bytes, non-finite numbers, forged ids. Each gets a 4xx problem (never a 5xx) and changes nothing.
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod';
import {
  BrandDnaCreateSchema,
  BrandDnaFromPresetSchema,
  BrandDnaPageSchema,
  BrandDnaPatchSchema,
  BrandDnaReplaceSchema,
  MemberAddSchema,
  MemberUpdateSchema,
  PresetCreateSchema,
  PresetPageSchema,
  PresetUpdateSchema,
  WorkspaceCreateSchema,
  WorkspaceUpdateSchema,
} from '../../sdk/src/schemas.ts';
import { BrandDnaImportSchema, InvitationAnswerSchema, InvitationCreateSchema } from '../../sdk/src/index.ts';
import { firstDuplicateKey } from '../../functions/_shared/http.ts';
import { MAX_BODY_BYTES } from '../../functions/api/registry.ts';
import { routes as API_ROUTES } from '../../functions/api/routes/index.ts';
import { API, AXES_EXAMPLE, call, closeDb, createBrandDna, createTeam, expectClientError, expectProblem, expectStatus, snapshot, type Team, type TestUser } from './helpers.ts';

const PRESET_ID = '7f3c1a2e-0001-4c6e-9a51-000000000001';
const RUNS = Number(process.env.FAST_CHECK_RUNS ?? 30);

afterAll(closeDb);

interface WriteRoute {
  name: string;
  method: string;
  path: (ctx: Ctx) => string;
  as: (team: Team) => TestUser;
  schema: z.ZodType;
  valid: (ctx: Ctx) => Record<string, unknown>;
}

interface Ctx {
  team: Team;
  brandDnaId: string;
  presetId: string;
}

const WRITE_ROUTES: WriteRoute[] = [
  { name: 'POST /workspaces', method: 'POST', path: () => '/workspaces', as: (t) => t.owner, schema: WorkspaceCreateSchema, valid: () => ({ name: 'Team' }) },
  { name: 'PATCH /workspaces/:id', method: 'PATCH', path: (c) => `/workspaces/${c.team.workspaceId}`, as: (t) => t.owner, schema: WorkspaceUpdateSchema, valid: () => ({ name: 'Team' }) },
  { name: 'POST /workspaces/:id/members', method: 'POST', path: (c) => `/workspaces/${c.team.workspaceId}/members`, as: (t) => t.owner, schema: MemberAddSchema, valid: (c) => ({ email: c.team.outsider.email, role: 'viewer' }) },
  { name: 'POST /workspaces/:id/invitations', method: 'POST', path: (c) => `/workspaces/${c.team.workspaceId}/invitations`, as: (t) => t.owner, schema: InvitationCreateSchema, valid: (c) => ({ email: c.team.outsider.email, role: 'viewer', expiresInDays: 7 }) },
  { name: 'POST /invitations/accept', method: 'POST', path: () => '/invitations/accept', as: (t) => t.outsider, schema: InvitationAnswerSchema, valid: () => ({ token: `tkinv_${'A'.repeat(43)}` }) },
  { name: 'PATCH /workspaces/:id/members/:userId', method: 'PATCH', path: (c) => `/workspaces/${c.team.workspaceId}/members/${c.team.viewer.id}`, as: (t) => t.owner, schema: MemberUpdateSchema, valid: () => ({ role: 'editor' }) },
  { name: 'POST /brand-dna', method: 'POST', path: () => '/brand-dna', as: (t) => t.editor, schema: BrandDnaCreateSchema, valid: (c) => ({ workspaceId: c.team.workspaceId, name: 'Brand', axes: AXES_EXAMPLE }) },
  { name: 'POST /brand-dna/from-preset', method: 'POST', path: () => '/brand-dna/from-preset', as: (t) => t.editor, schema: BrandDnaFromPresetSchema, valid: (c) => ({ workspaceId: c.team.workspaceId, presetId: PRESET_ID }) },
  { name: 'POST /brand-dna/import', method: 'POST', path: (c) => `/brand-dna/import?workspaceId=${c.team.workspaceId}`, as: (t) => t.editor, schema: BrandDnaImportSchema, valid: () => ({ id: 'brand-001', name: 'Brand', description: 'd', axes: AXES_EXAMPLE, version: '1.0.0', createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-02T00:00:00.000Z' }) },
  { name: 'PUT /brand-dna/:id', method: 'PUT', path: (c) => `/brand-dna/${c.brandDnaId}`, as: (t) => t.editor, schema: BrandDnaReplaceSchema, valid: () => ({ name: 'Brand', axes: AXES_EXAMPLE }) },
  { name: 'PATCH /brand-dna/:id', method: 'PATCH', path: (c) => `/brand-dna/${c.brandDnaId}`, as: (t) => t.editor, schema: BrandDnaPatchSchema, valid: () => ({ axes: { density: 0.5 } }) },
  { name: 'POST /presets', method: 'POST', path: () => '/presets', as: (t) => t.editor, schema: PresetCreateSchema, valid: () => ({ name: 'P', category: 'tech', axes: AXES_EXAMPLE }) },
  { name: 'PATCH /presets/:id', method: 'PATCH', path: (c) => `/presets/${c.presetId}`, as: (t) => t.editor, schema: PresetUpdateSchema, valid: () => ({ tags: ['a'] }) },
];

const nasty = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 1.0000001, -0.0000001, 2, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2),
  fc.string(),
  fc.constantFrom('\u0000', 'a\u0000b', 'x'.repeat(3000), "'; drop table brand_dna; --", '<script>', '0.5', ' ', '', '\ud800', '日本語'),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/** One change that makes a valid body invalid: an unknown field, a bad value, a missing field, a bad axis. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), nasty).map(([key, value]) => ({ ...valid, [key]: value })),
    fc.tuple(fc.constantFrom(...keys), nasty).map(([key, value]) => ({ ...valid, [key]: value })),
    fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key))),
    fc
      .tuple(fc.constantFrom('density', 'warmth', 'playfulness', 'sophistication', 'energy', 'vibe'), nasty)
      .map(([axis, value]) => ({ ...valid, axes: { ...(valid.axes as object), [axis]: value } })),
  );
}

describe.each(WRITE_ROUTES)('$name', (route) => {
  let ctx: Ctx;

  beforeAll(async () => {
    const team = await createTeam(`Bad input ${route.name}`);
    const brandDna = await createBrandDna(team);
    const preset = await call('/presets', { method: 'POST', as: team.editor, body: { name: 'Mine', category: 'tech', axes: AXES_EXAMPLE, workspaceId: team.workspaceId } });
    expectStatus(preset, 201);
    ctx = { team, brandDnaId: brandDna.id, presetId: preset.body.id };
  });

  it('rejects every invalid variation of a valid body with 422 and field errors, changing nothing', async () => {
    const before = await snapshot(ctx.team);
    const valid = route.valid(ctx);
    await fc.assert(
      fc.asyncProperty(
        mutated(valid)
          .map((body) => JSON.parse(JSON.stringify(body)) as Record<string, unknown>)
          .filter((body) => !route.schema.safeParse(body).success),
        async (body) => {
          const res = await call(route.path(ctx), { method: route.method, as: route.as(ctx.team), body });
          expectProblem(res, 422, 'validation_failed');
          expect(res.body.errors.length).toBeGreaterThan(0);
          for (const error of res.body.errors) expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
        },
      ),
      { numRuns: RUNS },
    );
    expect(await snapshot(ctx.team)).toEqual(before);
  });

  it('answers arbitrary JSON with a 4xx, never a 5xx, changing nothing', async () => {
    const before = await snapshot(ctx.team);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) => {
        const res = await call(route.path(ctx), { method: route.method, as: route.as(ctx.team), body });
        expectClientError(res);
      }),
      { numRuns: RUNS },
    );
    expect(await snapshot(ctx.team)).toEqual(before);
  });

  it('refuses non-JSON (415), malformed JSON (400), non-objects (422), huge bodies (413)', async () => {
    const before = await snapshot(ctx.team);
    const as = route.as(ctx.team);
    const path = route.path(ctx);
    const json = JSON.stringify(route.valid(ctx));
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
      expectProblem(await call(path, { method: route.method, as, raw: json, headers: { 'Content-Type': contentType } }), 415, 'unsupported_media_type');
    }
    expectProblem(await call(path, { method: route.method, as, raw: json }), 415); // no Content-Type at all
    for (const raw of ['{', '{"name":', "{'name':'x'}", '{"a":1,}', 'NaN', '\u0000', '']) {
      expectProblem(await call(path, { method: route.method, as, raw, headers: { 'Content-Type': 'application/json' } }), 400, 'malformed_json');
    }
    expectProblem(await call(path, { method: route.method, as, raw: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: { 'Content-Type': 'application/json' } }), 400);
    for (const raw of ['[]', '42', '"x"', 'null', `${'['.repeat(20000)}${']'.repeat(20000)}`]) {
      expectProblem(await call(path, { method: route.method, as, raw, headers: { 'Content-Type': 'application/json' } }), 422);
    }
    const spec = API_ROUTES.find((r) => `${r.method.toUpperCase()} ${r.path.replace(/^\/v1/, '')}` === route.name);
    expect(spec, 'a route of the registry').toBeDefined();
    const huge = JSON.stringify({ ...route.valid(ctx), padding: 'x'.repeat((spec!.maxBodyBytes ?? MAX_BODY_BYTES) + 1024) });
    expectProblem(await call(path, { method: route.method, as, raw: huge, headers: { 'Content-Type': 'application/json' } }), 413, 'payload_too_large');
    expect(await snapshot(ctx.team)).toEqual(before);
  });
});

describe('hand-picked nasties', () => {
  let team: Team;
  beforeAll(async () => {
    team = await createTeam('Nasties');
  });

  it('413 also when the body streams in without Content-Length', async () => {
    const chunk = new TextEncoder().encode(`{"name":"${'x'.repeat(16 * 1024)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${API}/workspaces`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${team.owner.token}`, 'Content-Type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe('payload_too_large');
  });

  it('a declared Content-Length over the limit is refused before the body is read', async () => {
    const url = new URL(`${API}/workspaces`);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', headers: { Authorization: `Bearer ${team.owner.token}`, 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 * 1024) } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: text });
            req.destroy();
          });
        },
      );
      req.on('error', reject);
      req.write('{"name":"only a little of the ten megabytes"');
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).code).toBe('payload_too_large');
  });

  it('a key given twice in one JSON object is 400 duplicate_json_key (JSON.parse would silently keep the last), changing nothing', async () => {
    const before = await snapshot(team);
    const axes = JSON.stringify(AXES_EXAMPLE);
    const post = (raw: string) => call('/brand-dna', { method: 'POST', as: team.editor, raw, headers: { 'Content-Type': 'application/json' } });
    for (const raw of [
      `{"workspaceId":"${team.workspaceId}","name":"Harmless","name":"Sneaky","axes":${axes}}`,
      `{"workspaceId":"${team.workspaceId}","name":"Harmless","axes":{"density":0.1,"warmth":0.2,"playfulness":0.3,"sophistication":0.4,"energy":0.5,"energy":1}}`,
      // The same key, spelled with an escape.
      `{"workspaceId":"${team.workspaceId}","name":"Harmless","na\\u006de":"Sneaky","axes":${axes}}`,
    ]) {
      const res = await post(raw);
      expectProblem(res, 400, 'duplicate_json_key');
      expect(res.body.detail).toMatch(/name|energy/);
    }
    expect(await snapshot(team)).toEqual(before);
    // Equal keys in different objects, and keys inside strings, are fine.
    expect(firstDuplicateKey('{"a":{"a":1,"b":[{"a":1},{"a":2}]},"b":"\\"a\\":1,\\"a\\":2"}')).toBeNull();
    fc.assert(fc.property(fc.jsonValue(), (value) => firstDuplicateKey(JSON.stringify(value)) === null));
    expectStatus(await post(`{"workspaceId":"${team.workspaceId}","name":"name \\"name\\": twice","description":"{\\"a\\":1,\\"a\\":2}","axes":${axes}}`), 201);
  });

  it('NUL bytes, non-finite numbers, deep metadata, lone surrogates and giant numbers are 422 (or stored safely)', async () => {
    const before = await snapshot(team);
    const base = { workspaceId: team.workspaceId, name: 'Brand', axes: AXES_EXAMPLE };
    for (const raw of [
      JSON.stringify({ ...base, name: 'a\u0000b' }),
      JSON.stringify({ ...base, description: '\u0000' }),
      JSON.stringify({ ...base, slug: 'a\u0000' }),
      JSON.stringify(base).replace('0.7', '1e999'),
      JSON.stringify(base).replace('0.7', '-1e999'),
      JSON.stringify(base).replace('0.7', '1e-400').replace('0.4', '"0.4"'),
      JSON.stringify({ ...base, version: '01.0.0' }),
      JSON.stringify({ ...base, version: '1000000000.0.0' }),
      JSON.stringify({ ...base, name: ' '.repeat(10) }),
      JSON.stringify({ ...base, name: 'n'.repeat(121) }),
      JSON.stringify({ ...base, workspaceId: "'; select pg_sleep(10); --" }),
    ]) {
      expectProblem(await call('/brand-dna', { method: 'POST', as: team.editor, raw, headers: { 'Content-Type': 'application/json' } }), 422);
    }
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = { a: deep };
    for (const metadata of [deep, { k: '\u0000' }, { ['\u0000']: 1 }, { big: 'x'.repeat(17000) }]) {
      expectProblem(await call('/presets', { method: 'POST', as: team.editor, body: { name: 'P', category: 'c', axes: AXES_EXAMPLE, metadata } }), 422);
    }
    expect(await snapshot(team)).toEqual(before);
    // A lone surrogate has no UTF-8 form (the driver would store U+FFFD): refused in any string.
    for (const [path, body] of [
      ['/brand-dna', { ...base, name: 'lone \ud800 surrogate' }],
      ['/brand-dna', { ...base, description: 'lone \udc00' }],
      ['/presets', { name: 'P', category: 'c', axes: AXES_EXAMPLE, metadata: { note: 'lone \ud800' } }],
      ['/presets', { name: 'P', category: 'c', axes: AXES_EXAMPLE, metadata: { ['key \udfff']: 1 } }],
    ] as const) {
      const lone = await call(path, { method: 'POST', as: team.editor, raw: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
      expectProblem(lone, 422, 'validation_failed');
    }
    expect(await snapshot(team)).toEqual(before);
  });

  it('path ids that are not UUIDs (or version numbers that are not numbers) are 404, never a cast error', async () => {
    for (const id of ["1' or '1'='1", '%00', '..', '1e5', 'x'.repeat(500), '00000000-0000-0000-0000-00000000000g', encodeURIComponent('\u0000')]) {
      for (const [method, path] of [['GET', `/brand-dna/${id}`], ['PATCH', `/brand-dna/${id}`], ['DELETE', `/presets/${id}`], ['GET', `/workspaces/${id}/members`], ['GET', `/brand-dna/${team.workspaceId}/versions/${id}`]] as const) {
        const res = await call(path, { method, as: team.owner, ...(method === 'PATCH' ? { body: { name: 'x' } } : {}) });
        expectProblem(res, 404);
      }
    }
    for (const n of ['-1', '0', '2147483648', '99999999999999999999', '1.5', 'NaN', 'Infinity']) {
      expectProblem(await call(`/brand-dna/${team.workspaceId}/versions/${n}`, { as: team.owner }), 404);
    }
  });
});

describe('query strings', () => {
  let team: Team;
  beforeAll(async () => {
    team = await createTeam('Queries');
    await createBrandDna(team);
  });

  const presetKeys = ['q', 'tags', 'category', 'minDensity', 'maxDensity', 'minWarmth', 'maxEnergy', 'near', 'scope', 'cursor', 'limit', 'bogus'];
  const listKeys = ['workspaceId', 'q', 'updatedSince', 'cursor', 'limit', 'bogus'];
  const value = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom('0', '1', '0.5', '-0.1', '1.1', '1e3', 'NaN', 'Infinity', '', '0,0,0,0,0', '0.5,0.5,0.5,0.5', 'a,b', '100', '101', '0', '-5', '\u0000', '%', "'", '日本語', '2026-01-01T00:00:00Z', 'not-a-date', 'builtin', 'custom', 'tech', '00000000-0000-0000-0000-000000000000'),
    fc.double().map(String),
  );

  it('GET /presets: any combination answers 200 with a valid page or 422, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...presetKeys), value, { maxKeys: 5 }), async (query) => {
        const res = await call(`/presets?${new URLSearchParams(query)}`, { as: team.viewer });
        if (res.status === 200) expect(PresetPageSchema.safeParse(res.body).success).toBe(true);
        else expectProblem(res, 422);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('GET /brand-dna: any combination answers 200 with a valid page or 422, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...listKeys), value, { maxKeys: 4 }), async (query) => {
        const res = await call(`/brand-dna?${new URLSearchParams(query)}`, { as: team.viewer });
        if (res.status === 200) expect(BrandDnaPageSchema.safeParse(res.body).success).toBe(true);
        else expectProblem(res, 422);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('versions and compare query strings: 200, 404 or 422, never a 5xx', async () => {
    const brand = await createBrandDna(team);
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('from', 'to', 'cursor', 'limit', 'x'), value, { maxKeys: 3 }), async (query) => {
        for (const path of [`/brand-dna/${brand.id}/compare`, `/brand-dna/${brand.id}/versions`]) {
          const res = await call(`${path}?${new URLSearchParams(query)}`, { as: team.viewer });
          if (res.status !== 200) expectClientError(res);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('specific bad values are 422 with the parameter named', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=1e2', 'limit'],
      ['limit=99999999999999999999', 'limit'],
      ['minDensity=1.5', 'minDensity'],
      ['minDensity=0.8&maxDensity=0.2', 'minDensity'],
      ['near=1,2,3', 'near'],
      ['near=NaN,0,0,0,0', 'near'],
      ['scope=everything', 'scope'],
      ['tags=Not_Kebab', 'tags'],
      ['q=%00', 'q'],
      ['limit=5&limit=6', 'limit'],
      ['unknown=1', '(query)'],
    ] as const) {
      const res = await call(`/presets?${query}`);
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path).join(' ')).toContain(field);
    }
  });
});
