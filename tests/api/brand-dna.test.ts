// Brand DNA through the API for every role: create (also from presets), list with filters and
// keyset pages, read, replace, partial update, delete, versions, compare, restore; ETag/If-Match;
// and every Brand DNA returned passes the studio's BrandDNASchema (checked inside `call`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AXES_EXAMPLE,
  call,
  closeDb,
  compatibility,
  createBrandDna,
  createTeam,
  db,
  expectProblem,
  expectSecurityHeaders,
  expectStatus,
  snapshot,
  stack,
  StudioBrandDNASchema,
  ZERO_UUID,
  type ApiResponse,
  type Team,
} from './helpers.ts';

const PRESET_ID = '7f3c1a2e-0001-4c6e-9a51-000000000001'; // seeded "Modern Tech Startup"
let team: Team;

beforeAll(async () => {
  team = await createTeam('Brand suite');
});
afterAll(closeDb);

describe('create', () => {
  it('editors and owners create (201, ETag "1", Location); the result has the studio shape', async () => {
    for (const user of [team.editor, team.owner]) {
      const res = await call('/brand-dna', {
        method: 'POST',
        as: user,
        body: { workspaceId: team.workspaceId, name: 'Modern Tech Startup', description: 'From the docs', axes: AXES_EXAMPLE },
      });
      expectStatus(res, 201);
      expect(res.headers.get('etag')).toBe('"1"');
      expect(res.headers.get('location')).toBe(`/api/v1/brand-dna/${res.body.id}`);
      expect(res.body).toMatchObject({ workspaceId: team.workspaceId, name: 'Modern Tech Startup', axes: AXES_EXAMPLE, version: '1.0.0', revision: 1, presetId: null, createdBy: user.id, updatedBy: user.id });
      expect(StudioBrandDNASchema.parse(res.body).axes).toEqual(AXES_EXAMPLE);
      expectSecurityHeaders(res.headers);
    }
  });

  it('derives the slug from the name and makes it unique; a chosen slug that is taken is 409 slug_taken', async () => {
    const name = `Café Ünïcode ${Date.now()}`;
    const first = await createBrandDna(team, { name });
    const second = await createBrandDna(team, { name });
    expect(first.slug).toMatch(/^cafe-unicode-\d+$/);
    expect(second.slug).toBe(`${first.slug}-2`);
    const taken = await call('/brand-dna', { method: 'POST', as: team.editor, body: { workspaceId: team.workspaceId, name: 'Other', slug: first.slug, axes: AXES_EXAMPLE } });
    expectProblem(taken, 409, 'slug_taken');
    expect(taken.body.errors).toEqual([{ path: 'slug', message: expect.any(String) }]);
    const chosen = await createBrandDna(team, { name: 'Other', slug: `chosen-${Date.now()}` });
    expect(chosen.slug).toMatch(/^chosen-\d+$/);
    const emoji = await createBrandDna(team, { name: '🎨🎨' });
    expect(emoji.slug).toMatch(/^brand(-\d+)?$/);
  });

  it('omits description when there is none (never null)', async () => {
    const created = await createBrandDna(team, { description: null });
    expect('description' in created).toBe(false);
  });

  it('viewers get 403, outsiders and admins 404 (workspace not visible), anon 401', async () => {
    const body = { workspaceId: team.workspaceId, name: 'Nope', axes: AXES_EXAMPLE };
    expectProblem(await call('/brand-dna', { method: 'POST', as: team.viewer, body }), 403, 'forbidden');
    expectProblem(await call('/brand-dna', { method: 'POST', as: team.outsider, body }), 404, 'workspace_not_found');
    expectProblem(await call('/brand-dna', { method: 'POST', as: team.admin, body }), 404, 'workspace_not_found');
    expectProblem(await call('/brand-dna', { method: 'POST', body }), 401, 'unauthorized');
    expectProblem(await call('/brand-dna', { method: 'POST', as: team.editor, body: { ...body, workspaceId: ZERO_UUID } }), 404, 'workspace_not_found');
  });

  it('starts from a preset: presetId on create, and POST /brand-dna/from-preset with overrides', async () => {
    const viaCreate = await createBrandDna(team, { axes: undefined, presetId: PRESET_ID });
    expect(viaCreate).toMatchObject({ presetId: PRESET_ID, axes: AXES_EXAMPLE });
    expect(viaCreate.description).toMatch(/Compact layouts/);

    const res = await call('/brand-dna/from-preset', {
      method: 'POST',
      as: team.editor,
      body: { presetId: PRESET_ID, workspaceId: team.workspaceId, axes: { warmth: 0.9 }, version: '2.0.0' },
    });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({ name: 'Modern Tech Startup', presetId: PRESET_ID, version: '2.0.0', axes: { ...AXES_EXAMPLE, warmth: 0.9 } });

    expectProblem(await call('/brand-dna/from-preset', { method: 'POST', as: team.editor, body: { presetId: ZERO_UUID, workspaceId: team.workspaceId } }), 404, 'preset_not_found');
    expectProblem(await call('/brand-dna/from-preset', { method: 'POST', as: team.viewer, body: { presetId: PRESET_ID, workspaceId: team.workspaceId } }), 403);
    expectProblem(await call('/brand-dna', { method: 'POST', as: team.editor, body: { workspaceId: team.workspaceId, name: 'No axes' } }), 422, 'validation_failed');
  });
});

describe('read and list', () => {
  it('members read (200 with ETag); outsiders, admins and anon do not', async () => {
    const created = await createBrandDna(team);
    for (const user of [team.viewer, team.editor, team.owner]) {
      const res = await call(`/brand-dna/${created.id}`, { as: user });
      expectStatus(res, 200);
      expect(res.headers.get('etag')).toBe('"1"');
      expect(res.body).toEqual(created);
    }
    for (const user of [team.outsider, team.admin]) expectProblem(await call(`/brand-dna/${created.id}`, { as: user }), 404, 'not_found');
    expectProblem(await call(`/brand-dna/${created.id}`), 401);
    expectProblem(await call(`/brand-dna/${ZERO_UUID}`, { as: team.owner }), 404);
  });

  it('HEAD answers like GET without a body', async () => {
    const created = await createBrandDna(team);
    const res = await fetch(`${stack.apiUrl}/brand-dna/${created.id}`, { method: 'HEAD', headers: { Authorization: `Bearer ${team.viewer.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(await res.text()).toBe('');
  });

  it('lists with workspace filter, text search, updatedSince and keyset pages without gaps or repeats', async () => {
    const t = await createTeam('List team');
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await createBrandDna(t, { name: `Listed ${i}`, description: i % 2 ? 'odd one' : undefined }));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: ApiResponse = await call(`/brand-dna?workspaceId=${t.workspaceId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`, { as: t.viewer });
      expectStatus(res, 200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((b: { id: string }) => b.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    expect(seen).toEqual([...made].reverse().map((b) => b.id)); // most recently changed first

    const odd = await call(`/brand-dna?workspaceId=${t.workspaceId}&q=ODD`, { as: t.viewer });
    expect(odd.body.data.map((b: { name: string }) => b.name).sort()).toEqual(['Listed 1', 'Listed 3', 'Listed 5']);
    const bySlug = await call(`/brand-dna?q=listed-6`, { as: t.viewer });
    expect(bySlug.body.data.map((b: { name: string }) => b.name)).toEqual(['Listed 6']);
    const since = await call(`/brand-dna?workspaceId=${t.workspaceId}&updatedSince=${encodeURIComponent(made[5]!.updatedAt)}`, { as: t.viewer });
    expect(since.body.data.map((b: { name: string }) => b.name).sort()).toEqual(['Listed 5', 'Listed 6']);
    const wildcard = await call(`/brand-dna?workspaceId=${t.workspaceId}&q=${encodeURIComponent('%_\\')}`, { as: t.viewer });
    expect(wildcard.body.data).toEqual([]);

    // Outsiders see none of it, not even with the workspace filter.
    const outsider = await call(`/brand-dna?workspaceId=${t.workspaceId}`, { as: t.outsider });
    expectStatus(outsider, 200);
    expect(outsider.body).toEqual({ data: [], nextCursor: null });
    expectProblem(await call('/brand-dna'), 401);
  });
});

describe('change', () => {
  it('PUT replaces (editors, owners): a new version with the PATCH bumped; viewers 403, outsiders 404', async () => {
    const created = await createBrandDna(team, { description: 'old' });
    const body = { name: 'Replaced', axes: { density: 0, warmth: 1, playfulness: 0.5, sophistication: 0.5, energy: 0.5 } };
    expectProblem(await call(`/brand-dna/${created.id}`, { method: 'PUT', as: team.viewer, body }), 403, 'forbidden');
    expectProblem(await call(`/brand-dna/${created.id}`, { method: 'PUT', as: team.outsider, body }), 404);
    expectProblem(await call(`/brand-dna/${created.id}`, { method: 'PUT', as: team.admin, body }), 404);
    const res = await call(`/brand-dna/${created.id}`, { method: 'PUT', as: team.editor, body });
    expectStatus(res, 200);
    expect(res.headers.get('etag')).toBe('"2"');
    expect(res.body).toMatchObject({ ...body, slug: created.slug, version: '1.0.1', revision: 2 });
    expect('description' in res.body).toBe(false); // replaced: no description given
    const owner = await call(`/brand-dna/${created.id}`, { method: 'PUT', as: team.owner, body: { ...body, version: '3.0.0' } });
    expect(owner.body).toMatchObject({ version: '3.0.0', revision: 3 });
  });

  it('PATCH merges partial axes and leaves other fields alone', async () => {
    const created = await createBrandDna(team, { description: 'keep me' });
    const res = await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.editor, body: { axes: { energy: 0.1 } } });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ name: created.name, description: 'keep me', axes: { ...AXES_EXAMPLE, energy: 0.1 }, revision: 2, version: '1.0.1' });
    const cleared = await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.owner, body: { description: null } });
    expect('description' in cleared.body).toBe(false);
    // A PATCH that changes nothing makes no new version.
    const same = await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.owner, body: { name: created.name } });
    expect(same.body.revision).toBe(3);
    expectProblem(await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.viewer, body: { name: 'x' } }), 403);
  });

  it('renaming to a taken slug is 409 slug_taken', async () => {
    const a = await createBrandDna(team);
    const b = await createBrandDna(team);
    expectProblem(await call(`/brand-dna/${b.id}`, { method: 'PATCH', as: team.editor, body: { slug: a.slug } }), 409, 'slug_taken');
  });

  it('If-Match: the current ETag passes, a stale one is 412 and changes nothing; * matches any', async () => {
    const created = await createBrandDna(team);
    const first = await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.editor, headers: { 'If-Match': '"1"' }, body: { axes: { density: 0.2 } } });
    expectStatus(first, 200);
    expect(first.headers.get('etag')).toBe('"2"');
    // A teammate still holding ETag "1" cannot overwrite the change.
    const before = await snapshot(team);
    expectProblem(await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.owner, headers: { 'If-Match': '"1"' }, body: { axes: { density: 0.9 } } }), 412, 'precondition_failed');
    expectProblem(await call(`/brand-dna/${created.id}`, { method: 'PUT', as: team.owner, headers: { 'If-Match': '"1"' }, body: { name: 'x', axes: AXES_EXAMPLE } }), 412);
    expectProblem(await call(`/brand-dna/${created.id}`, { method: 'DELETE', as: team.owner, headers: { 'If-Match': '"1"' } }), 412);
    expectProblem(await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.owner, headers: { 'If-Match': 'W/"2"' }, body: { axes: { density: 0.9 } } }), 412);
    expect(await snapshot(team)).toEqual(before);
    const current = await call(`/brand-dna/${created.id}`, { as: team.viewer });
    expect(current.body.axes.density).toBe(0.2);
    expectStatus(await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.owner, headers: { 'If-Match': '"7", "2"' }, body: { axes: { density: 0.3 } } }), 200);
    expectStatus(await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.owner, headers: { 'If-Match': '*' }, body: { axes: { density: 0.4 } } }), 200);
    expectProblem(await call(`/brand-dna/${ZERO_UUID}`, { method: 'PATCH', as: team.owner, headers: { 'If-Match': '*' }, body: { axes: { density: 0.4 } } }), 404);
  });

  it('DELETE: owners 204 (history kept); editors and viewers 403; outsiders 404', async () => {
    const created = await createBrandDna(team);
    for (const user of [team.editor, team.viewer]) expectProblem(await call(`/brand-dna/${created.id}`, { method: 'DELETE', as: user }), 403);
    for (const user of [team.outsider, team.admin]) expectProblem(await call(`/brand-dna/${created.id}`, { method: 'DELETE', as: user }), 404);
    const res = await call(`/brand-dna/${created.id}`, { method: 'DELETE', as: team.owner, headers: { 'If-Match': '"1"' } });
    expectStatus(res, 204);
    expectProblem(await call(`/brand-dna/${created.id}`, { as: team.owner }), 404);
    const history = await call(`/brand-dna/${created.id}/versions`, { as: team.viewer });
    expectStatus(history, 200);
    expect(history.body.data).toHaveLength(1);
    expectProblem(await call(`/brand-dna/${created.id}/versions`, { as: team.outsider }), 404);
  });
});

describe('versions, compare, restore', () => {
  it('lists versions newest first in keyset pages and reads one', async () => {
    const created = await createBrandDna(team);
    for (let i = 1; i <= 4; i++) await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.editor, body: { axes: { energy: i / 10 } } });
    const page1 = await call(`/brand-dna/${created.id}/versions?limit=3`, { as: team.viewer });
    expect(page1.body.data.map((v: { versionNumber: number }) => v.versionNumber)).toEqual([5, 4, 3]);
    const page2 = await call(`/brand-dna/${created.id}/versions?limit=3&cursor=${page1.body.nextCursor}`, { as: team.viewer });
    expect(page2.body.data.map((v: { versionNumber: number }) => v.versionNumber)).toEqual([2, 1]);
    expect(page2.body.nextCursor).toBeNull();

    const v2 = await call(`/brand-dna/${created.id}/versions/2`, { as: team.viewer });
    expectStatus(v2, 200);
    expect(v2.body).toMatchObject({ brandDnaId: created.id, versionNumber: 2, version: '1.0.1', axes: { ...AXES_EXAMPLE, energy: 0.1 }, restoredFrom: null, createdBy: team.editor.id });
    expectProblem(await call(`/brand-dna/${created.id}/versions/99`, { as: team.viewer }), 404, 'version_not_found');
    expectProblem(await call(`/brand-dna/${created.id}/versions/0`, { as: team.viewer }), 404);
    expectProblem(await call(`/brand-dna/${created.id}/versions/abc`, { as: team.viewer }), 404);
    expectProblem(await call(`/brand-dna/${created.id}/versions/2`, { as: team.outsider }), 404);
    expectProblem(await call(`/brand-dna/${created.id}/versions`, { as: team.admin }), 404);
  });

  it('compares two versions, or a version with now, per axis', async () => {
    const created = await createBrandDna(team, { name: 'Compare me', description: 'before' });
    await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.editor, body: { axes: { warmth: 0.7, energy: 0.5 }, name: 'Compared', description: 'after' } });
    const res = await call(`/brand-dna/${created.id}/compare?from=1&to=2`, { as: team.viewer });
    expectStatus(res, 200);
    expect(res.body.axes).toEqual([
      { axis: 'density', from: 0.7, to: 0.7, delta: 0, direction: 'unchanged' },
      { axis: 'warmth', from: 0.4, to: 0.7, delta: 0.3, direction: 'up' },
      { axis: 'playfulness', from: 0.3, to: 0.3, delta: 0, direction: 'unchanged' },
      { axis: 'sophistication', from: 0.6, to: 0.6, delta: 0, direction: 'unchanged' },
      { axis: 'energy', from: 0.8, to: 0.5, delta: -0.3, direction: 'down' },
    ]);
    expect(res.body.changed).toEqual({
      name: { from: 'Compare me', to: 'Compared' },
      description: { from: 'before', to: 'after' },
      version: { from: '1.0.0', to: '1.0.1' },
    });
    const now = await call(`/brand-dna/${created.id}/compare?from=2&to=current`, { as: team.viewer });
    expect(now.body).toMatchObject({ from: { versionNumber: 2 }, to: { versionNumber: 2, current: true }, changed: {} });
    expect(now.body.axes.every((a: { direction: string }) => a.direction === 'unchanged')).toBe(true);
    expectProblem(await call(`/brand-dna/${created.id}/compare?from=9`, { as: team.viewer }), 404, 'version_not_found');
    expectProblem(await call(`/brand-dna/${created.id}/compare`, { as: team.viewer }), 422, 'validation_failed');
    expectProblem(await call(`/brand-dna/${created.id}/compare?from=1&to=latest`, { as: team.viewer }), 422);
    expectProblem(await call(`/brand-dna/${created.id}/compare?from=1`, { as: team.outsider }), 404);
  });

  it('restores an old version as a new version (editors, owners); viewers 403, outsiders 404', async () => {
    const created = await createBrandDna(team);
    await call(`/brand-dna/${created.id}`, { method: 'PATCH', as: team.editor, body: { axes: { density: 0.1 }, name: 'Changed' } });
    expectProblem(await call(`/brand-dna/${created.id}/versions/1/restore`, { method: 'POST', as: team.viewer }), 403);
    expectProblem(await call(`/brand-dna/${created.id}/versions/1/restore`, { method: 'POST', as: team.outsider }), 404);
    expectProblem(await call(`/brand-dna/${created.id}/versions/1/restore`, { method: 'POST' }), 401);
    expectProblem(await call(`/brand-dna/${created.id}/versions/7/restore`, { method: 'POST', as: team.editor }), 404, 'version_not_found');
    const res = await call(`/brand-dna/${created.id}/versions/1/restore`, { method: 'POST', as: team.editor });
    expectStatus(res, 200);
    expect(res.headers.get('etag')).toBe('"3"');
    expect(res.body).toMatchObject({ name: created.name, axes: AXES_EXAMPLE, revision: 3, version: '1.0.2' });
    const v3 = await call(`/brand-dna/${created.id}/versions/3`, { as: team.viewer });
    expect(v3.body.restoredFrom).toBe(1);
  });
});

describe('compatibility', () => {
  it('every Brand DNA this suite received passed the studio schema', () => {
    expect(compatibility.checked).toBeGreaterThan(40);
  });

  it('a Brand DNA written by the studio package (its own fields only) is accepted', async () => {
    const studio = StudioBrandDNASchema.parse({ id: 'x', name: 'Studio brand', axes: AXES_EXAMPLE, version: '1.2.3', createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() });
    const res = await call('/brand-dna', { method: 'POST', as: team.editor, body: { workspaceId: team.workspaceId, name: studio.name, axes: studio.axes, version: studio.version } });
    expectStatus(res, 201);
    expect(res.body.version).toBe('1.2.3');
    const [row] = await db()`select density, energy from public.brand_dna where id = ${res.body.id}`;
    expect(row).toEqual({ density: 0.7, energy: 0.8 });
  });
});
