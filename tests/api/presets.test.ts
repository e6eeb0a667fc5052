// Presets through the API: search in its three orders with keyset pages, filters, categories, and
// create/update/delete for every role (personal, workspace and built-in presets).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AXES_EXAMPLE, call, closeDb, createTeam, createUser, db, expectProblem, expectStatus, stack, ZERO_UUID, type ApiResponse, type CallOptions, type Json, type Team } from './helpers.ts';

const BUILTIN_ID = '7f3c1a2e-0001-4c6e-9a51-000000000001';
let team: Team;
let seededBuiltins: number;

beforeAll(async () => {
  team = await createTeam('Preset suite');
  const [row] = await db()`select count(*)::int as n from public.presets where is_builtin`;
  seededBuiltins = row!.n;
});
afterAll(closeDb);

async function allPages(query: string, as: CallOptions['as'] = null): Promise<Record<string, Json>[]> {
  const items: Record<string, Json>[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const res: ApiResponse = await call(`/presets?${query}${cursor ? `&cursor=${cursor}` : ''}`, { as });
    expectStatus(res, 200);
    items.push(...res.body.data);
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  return items;
}

describe('search', () => {
  it('anon sees built-in presets only, by name, in keyset pages without repeats', async () => {
    const items = await allPages('limit=4');
    expect(items.length).toBeGreaterThanOrEqual(seededBuiltins);
    expect(items.every((p) => p.scope === 'builtin')).toBe(true);
    expect(new Set(items.map((p) => p.id)).size).toBe(items.length);
    const names = items.map((p) => p.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('finds by text (relevance order), tags (all of), category and scope', async () => {
    const text = await call('/presets?q=tech', {});
    expectStatus(text, 200);
    expect(text.body.data[0].name).toBe('Modern Tech Startup');
    const scores = text.body.data.map((p: { score: number }) => p.score);
    expect(scores).toEqual([...scores].sort((a: number, b: number) => b - a));
    const fuzzy = await call('/presets?q=startp', {});
    expect(fuzzy.body.data.map((p: { name: string }) => p.name)).toContain('Modern Tech Startup');

    const tags = await call('/presets?tags=saas,startup', {});
    expect(tags.body.data.map((p: { id: string }) => p.id)).toEqual([BUILTIN_ID]);
    const none = await call('/presets?tags=saas,serif', {});
    expect(none.body.data).toEqual([]);

    const category = await call('/presets?category=tech', {});
    expect(category.body.data.length).toBeGreaterThan(0);
    expect(category.body.data.every((p: { category: string }) => p.category === 'tech')).toBe(true);
    const custom = await call('/presets?scope=custom', {});
    expect(custom.body.data).toEqual([]);
  });

  it('filters by axis ranges and orders by nearness', async () => {
    const ranged = await allPages('minDensity=0.8&maxWarmth=0.5');
    expect(ranged.length).toBeGreaterThan(0);
    for (const p of ranged) {
      expect(p.axes.density).toBeGreaterThanOrEqual(0.8);
      expect(p.axes.warmth).toBeLessThanOrEqual(0.5);
    }
    const near = await allPages(`near=${Object.values(AXES_EXAMPLE).join(',')}&limit=5`);
    expect(near[0]!.id).toBe(BUILTIN_ID);
    expect(near[0]!.score).toBe(0);
    const distances = near.map((p) => p.score as number);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    expect(new Set(near.map((p) => p.id)).size).toBe(near.length);
  });

  it('treats SQL metacharacters and unicode as plain text', async () => {
    for (const q of ["'; drop table public.presets; --", '%', '_', '\\', '"', 'Ünïcödé ✨ 日本語', 'a & b | !c', '<->', ') or 1=1 --']) {
      const res = await call(`/presets?q=${encodeURIComponent(q)}`, {});
      expectStatus(res, 200);
      expect(Array.isArray(res.body.data)).toBe(true);
    }
    const [row] = await db()`select count(*)::int as n from public.presets where is_builtin`;
    expect(row!.n).toBe(seededBuiltins);
  });

  it('answers adversarial text sanely: stop words, short, repeated, long and made-up words, typos', async () => {
    const names = async (q: string, extra = '') => {
      const res = await call(`/presets?q=${encodeURIComponent(q)}&limit=100${extra}`, {});
      expectStatus(res, 200);
      return res.body.data as { name: string; description: string; tags: string[]; score: number }[];
    };
    // Stop words are in nearly every description; they find nothing rather than everything.
    expect(await names('with')).toEqual([]);
    expect(await names('and')).toEqual([]);
    expect(await names('with and the')).toEqual([]);
    // One- and two-letter words match only themselves (no fuzziness), however often repeated.
    const wordLa = (p: { name: string; description: string }) => /(^|[^a-z])la([^a-z]|$)/i.test(`${p.name} ${p.description}`);
    expect((await names('la')).every(wordLa)).toBe(true);
    expect(await names('la '.repeat(60))).toEqual(await names('la'));
    // A typo of a common word finds the presets with that word; a made-up word finds nothing.
    const typo = await names('layoutss');
    expect(typo.map((p) => p.name)).toEqual(expect.arrayContaining(['Modern Tech Startup', 'Independent Zine']));
    expect(typo.every((p) => /layouts/i.test(p.description))).toBe(true);
    expect(await names('layoucolo')).toEqual([]);
    expect(await names('x'.repeat(200))).toEqual([]);
    expectProblem(await call(`/presets?q=${'x'.repeat(201)}`, {}), 422, 'validation_failed');
    // Many words: the preset with all of them first, then presets with some.
    const many = await names('startup startup startup product bold saas with and');
    expect(many[0]!.name).toBe('Modern Tech Startup');
    expect(many.length).toBeGreaterThan(1);
    // With `near`, the text filters and nearness orders.
    const near = await names('layouts', `&near=${Object.values(AXES_EXAMPLE).join(',')}`);
    expect(near[0]!.name).toBe('Modern Tech Startup');
    expect(near.every((p) => /layouts/i.test(p.description))).toBe(true);
    const distances = near.map((p) => p.score);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
  });

  it('rejects a cursor of another search order, and forged cursors', async () => {
    const byName = await call('/presets?limit=2', {});
    expectProblem(await call(`/presets?q=tech&cursor=${byName.body.nextCursor}`, {}), 422, 'validation_failed');
    expectProblem(await call('/presets?cursor=not-a-cursor', {}), 422);
    expectProblem(await call(`/presets?cursor=${Buffer.from('{"m":"name","n":1}').toString('base64url')}`, {}), 422);
  });

  it('lists categories with counts', async () => {
    const res = await call('/presets/categories', {});
    expectStatus(res, 200);
    const [row] = await db()`select count(*)::int as n from public.presets where is_builtin and category = 'tech'`;
    expect(res.body.data).toContainEqual({ category: 'tech', count: row!.n });
    const names = res.body.data.map((c: { category: string }) => c.category);
    expect(names).toEqual([...names].sort());
  });

  it('reads one preset: built-in for everyone, custom ones only for who may see them', async () => {
    expectStatus(await call(`/presets/${BUILTIN_ID}`, {}), 200);
    expectProblem(await call(`/presets/${ZERO_UUID}`, {}), 404);
    expectProblem(await call('/presets/xyz', {}), 404);
  });
});

describe('create, change, delete', () => {
  const body = { name: 'House style', category: 'house', tags: ['internal', 'v-1'], axes: AXES_EXAMPLE, metadata: { palette: ['#000', '#fff'] } };

  it('a personal preset: only its owner sees and manages it', async () => {
    const res = await call('/presets', { method: 'POST', as: team.viewer, body });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({ ...body, scope: 'personal', ownerId: team.viewer.id, workspaceId: null, description: '', thumbnailUrl: null });
    expect(res.headers.get('location')).toBe(`/api/v1/presets/${res.body.id}`);
    const id = res.body.id;
    expectStatus(await call(`/presets/${id}`, { as: team.viewer }), 200);
    for (const as of [team.owner, team.outsider, team.admin, null]) expectProblem(await call(`/presets/${id}`, { as }), 404);
    const mine = await call('/presets?scope=custom', { as: team.viewer });
    expect(mine.body.data.map((p: { id: string }) => p.id)).toContain(id);

    expectProblem(await call(`/presets/${id}`, { method: 'PATCH', as: team.owner, body: { name: 'x' } }), 404);
    const changed = await call(`/presets/${id}`, { method: 'PATCH', as: team.viewer, body: { axes: { energy: 0.1 }, thumbnailUrl: 'https://example.com/t.png' } });
    expectStatus(changed, 200);
    expect(changed.body).toMatchObject({ axes: { ...AXES_EXAMPLE, energy: 0.1 }, thumbnailUrl: 'https://example.com/t.png', name: body.name });
    expectProblem(await call(`/presets/${id}`, { method: 'DELETE', as: team.admin }), 404);
    expectStatus(await call(`/presets/${id}`, { method: 'DELETE', as: team.viewer }), 204);
    expectProblem(await call(`/presets/${id}`, { as: team.viewer }), 404);
  });

  it('a workspace preset: editors create and manage it, viewers read it, outsiders see nothing', async () => {
    const withWs = { ...body, workspaceId: team.workspaceId };
    expectProblem(await call('/presets', { method: 'POST', as: team.viewer, body: withWs }), 403);
    expectProblem(await call('/presets', { method: 'POST', as: team.outsider, body: withWs }), 404, 'workspace_not_found');
    const res = await call('/presets', { method: 'POST', as: team.editor, body: withWs });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({ scope: 'workspace', workspaceId: team.workspaceId, ownerId: null });
    const id = res.body.id;
    expectStatus(await call(`/presets/${id}`, { as: team.viewer }), 200);
    expectProblem(await call(`/presets/${id}`, { as: team.outsider }), 404);
    expectProblem(await call(`/presets/${id}`, { method: 'PATCH', as: team.viewer, body: { name: 'x' } }), 403, 'forbidden');
    expectStatus(await call(`/presets/${id}`, { method: 'PATCH', as: team.owner, body: { name: 'Renamed' } }), 200);
    expectProblem(await call(`/presets/${id}`, { method: 'DELETE', as: team.viewer }), 403);
    expectStatus(await call(`/presets/${id}`, { method: 'DELETE', as: team.editor }), 204);
  });

  it('built-in presets: platform admins create and manage them; others get 403', async () => {
    const name = `Admin preset ${Date.now()}`;
    expectProblem(await call('/presets', { method: 'POST', as: team.owner, body: { ...body, name, builtin: true } }), 403);
    expectProblem(await call('/presets', { method: 'POST', body: { ...body, name, builtin: true } }), 401);
    const res = await call('/presets', { method: 'POST', as: team.admin, body: { ...body, name, builtin: true } });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({ scope: 'builtin', ownerId: null, workspaceId: null });
    const id = res.body.id;
    expectStatus(await call(`/presets/${id}`, {}), 200);
    expectProblem(await call('/presets', { method: 'POST', as: team.admin, body: { ...body, name: name.toUpperCase(), builtin: true } }), 409, 'name_taken');
    expectProblem(await call(`/presets/${id}`, { method: 'PATCH', as: team.owner, body: { name: 'Mine' } }), 403);
    expectProblem(await call(`/presets/${BUILTIN_ID}`, { method: 'DELETE', as: team.editor }), 403);
    expectStatus(await call(`/presets/${id}`, { method: 'PATCH', as: team.admin, body: { description: 'Curated' } }), 200);
    expectStatus(await call(`/presets/${id}`, { method: 'DELETE', as: team.admin }), 204);
    // The service role manages built-ins too.
    const service = await call('/presets', { method: 'POST', as: stack.serviceRoleKey, body: { ...body, name: `${name} svc`, builtin: true } });
    expectStatus(service, 201);
    expectStatus(await call(`/presets/${service.body.id}`, { method: 'DELETE', as: stack.secretKey }), 204);
    expectProblem(await call('/presets', { method: 'POST', as: stack.serviceRoleKey, body }), 422);
  });

  it('a new user starts from nothing but the built-ins', async () => {
    const user = await createUser();
    const res = await call('/presets?scope=custom', { as: user });
    expect(res.body.data).toEqual([]);
  });
});
