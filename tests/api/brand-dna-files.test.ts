// The studio's own Brand DNA files in and out: POST /brand-dna/import takes objects of the studio's
// BrandDNASchema verbatim (one or up to 100), keeps their ids as external ids (importing again
// updates, as a new version), their versions and timestamps, all or nothing with per-item errors;
// the exports give them back in the same shape, which the studio's schema (the replica in helpers)
// parses unchanged, round-tripping an import exactly.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IMPORT_ITEMS } from '../../sdk/src/index.ts';
import { AXES_EXAMPLE, call, closeDb, createBrandDna, createTeam, db, expectProblem, expectStatus, snapshot, StudioBrandDNASchema, type Json, type Team, type TestUser } from './helpers.ts';

let team: Team;

beforeAll(async () => {
  team = await createTeam('Import suite');
});
afterAll(closeDb);

/** A Brand DNA as the studio package writes it to a file: its schema's output, serialised as JSON. */
function studioFile(fields: Record<string, unknown> = {}): Json {
  const parsed = StudioBrandDNASchema.parse({
    id: `brand-${randomUUID().slice(0, 8)}`,
    name: 'Modern Tech Startup',
    description: 'From the studio',
    axes: AXES_EXAMPLE,
    version: '1.0.0',
    createdAt: new Date('2024-03-01T10:00:00.123Z'),
    updatedAt: new Date('2024-06-15T08:30:00.456Z'),
    ...fields,
  });
  return JSON.parse(JSON.stringify(parsed));
}

function importInto(workspaceId: string, body: unknown, as: TestUser | null = team.editor) {
  return call(`/brand-dna/import?workspaceId=${workspaceId}`, { method: 'POST', as, body });
}

async function imported(body: unknown, workspaceId = team.workspaceId, as = team.editor): Promise<Json[]> {
  const res = await importInto(workspaceId, body, as);
  expectStatus(res, 200);
  expect(res.body.workspaceId).toBe(workspaceId);
  return res.body.data;
}

async function exported(brandDnaId: string, as: TestUser = team.viewer): Promise<Json> {
  const res = await call(`/brand-dna/${brandDnaId}/export`, { as });
  expectStatus(res, 200);
  StudioBrandDNASchema.parse(res.body);
  return res.body;
}

async function versionCount(brandDnaId: string): Promise<number> {
  const [row] = await db()`select count(*)::int as n from public.brand_dna_versions where brand_dna_id = ${brandDnaId}`;
  return row!.n;
}

describe('import', () => {
  it('takes one studio object verbatim; the export gives exactly that object back', async () => {
    const file = studioFile();
    const [result] = await imported(file);
    expect(result).toEqual({ id: file.id, brandDnaId: expect.any(String), outcome: 'created', revision: 1, version: '1.0.0' });

    const native = await call(`/brand-dna/${result.brandDnaId}`, { as: team.viewer });
    expectStatus(native, 200);
    expect(native.body).toMatchObject({ workspaceId: team.workspaceId, name: file.name, description: file.description, axes: AXES_EXAMPLE, version: '1.0.0', revision: 1, slug: 'modern-tech-startup' });
    expect(native.body.createdBy).toBe(team.editor.id);

    const out = await exported(result.brandDnaId);
    expect(out).toEqual(file);
    expect(StudioBrandDNASchema.parse(out)).toEqual(StudioBrandDNASchema.parse(file));
  });

  it('importing the same id again updates that brand DNA as a new version, never a duplicate', async () => {
    const file = studioFile({ version: '2.3.4' });
    const [first] = await imported(file);

    // Same content again: nothing changes, no version.
    const [same] = await imported(file);
    expect(same).toEqual({ ...first, outcome: 'unchanged' });
    expect(await versionCount(first.brandDnaId)).toBe(1);

    // Changed and raised: the studio's version is kept.
    const raised = { ...file, axes: { ...file.axes, energy: 0.2 }, version: '3.0.0', updatedAt: '2024-07-01T00:00:00.000Z' };
    const [second] = await imported(raised);
    expect(second).toEqual({ id: file.id, brandDnaId: first.brandDnaId, outcome: 'updated', revision: 2, version: '3.0.0' });
    expect(await exported(first.brandDnaId)).toEqual(raised);

    // Changed without raising the version: like any change here, its PATCH is bumped.
    const unraised = { ...raised, name: 'Renamed in the studio', description: undefined, updatedAt: '2024-08-01T00:00:00.000Z' };
    delete unraised.description;
    const [third] = await imported(unraised);
    expect(third).toMatchObject({ outcome: 'updated', revision: 3, version: '3.0.1' });
    expect(await exported(first.brandDnaId)).toEqual({ ...unraised, version: '3.0.1' });

    const [row] = await db()`select count(*)::int as n from public.brand_dna_origins where workspace_id = ${team.workspaceId} and external_id = ${file.id}`;
    expect(row!.n).toBe(1);
    expect(await versionCount(first.brandDnaId)).toBe(3);
  });

  it('takes an array of up to 100 in one transaction; the workspace export gives the same array back', async () => {
    const fresh = await createTeam('Import array');
    const files = Array.from({ length: 100 }, (_, i) =>
      studioFile({ id: `studio-${i}`, name: `Brand ${i}`, createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i)), ...(i % 2 ? { description: undefined } : {}) }),
    );
    const results = await imported(files, fresh.workspaceId, fresh.editor);
    expect(results.map((r) => [r.id, r.outcome])).toEqual(files.map((f) => [f.id, 'created']));
    expect(new Set(results.map((r) => r.brandDnaId)).size).toBe(100);

    const res = await call(`/brand-dna/export?workspaceId=${fresh.workspaceId}`, { as: fresh.viewer });
    expectStatus(res, 200);
    expect(res.body).toEqual(files);
    for (const item of res.body) StudioBrandDNASchema.parse(item);
    // And the export imports again as it is: nothing changes.
    const again = await importInto(fresh.workspaceId, res.body, fresh.owner);
    expectStatus(again, 200);
    expect(new Set(again.body.data.map((r: Json) => r.outcome))).toEqual(new Set(['unchanged']));
  });

  it('takes 100 items at their largest (a body far over the 64 KiB of other routes); a body over the import limit is 413', async () => {
    const fresh = await createTeam('Import large');
    const files = Array.from({ length: MAX_IMPORT_ITEMS }, (_, i) => studioFile({ id: `large-${i}-${'i'.repeat(200)}`, name: `Brand ${i} ${'n'.repeat(100)}`, description: 'é'.repeat(2000) }));
    const body = JSON.stringify(files);
    expect(Buffer.byteLength(body)).toBeGreaterThan(400 * 1024);
    const results = await imported(files, fresh.workspaceId, fresh.editor);
    expect(results).toHaveLength(MAX_IMPORT_ITEMS);

    const before = await snapshot(fresh);
    const over = await call(`/brand-dna/import?workspaceId=${fresh.workspaceId}`, { method: 'POST', as: fresh.editor, raw: body + ' '.repeat(2 * 1024 * 1024), headers: { 'Content-Type': 'application/json' } });
    expectProblem(over, 413, 'payload_too_large');
    // What the larger limit lets in that is no import: deep nesting, a huge array of small values.
    const deep = '['.repeat(700_000) + ']'.repeat(700_000);
    const wide = JSON.stringify(Array.from({ length: 300_000 }, () => 1));
    for (const raw of [deep, wide]) {
      const res = await call(`/brand-dna/import?workspaceId=${fresh.workspaceId}`, { method: 'POST', as: fresh.editor, raw, headers: { 'Content-Type': 'application/json' } });
      expectProblem(res, 422, 'validation_failed');
    }
    expect(await snapshot(fresh)).toEqual(before);
  });

  it('is all or nothing: every bad item is listed by its index, and nothing is imported', async () => {
    const before = await snapshot(team);
    const good = studioFile();
    const res = await importInto(team.workspaceId, [good, { ...studioFile(), axes: { ...AXES_EXAMPLE, density: 1.5 } }, { ...studioFile(), version: '01.0.0' }, { ...studioFile(), slug: 'x' }]);
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors).toEqual([
      { path: '1.axes.density', message: expect.stringMatching(/maximum 1/) },
      { path: '2.version', message: expect.any(String) },
      { path: '3', message: 'unknown field(s): slug' },
    ]);
    // A studio id twice in one file.
    const twice = await importInto(team.workspaceId, [good, { ...studioFile(), id: ` ${good.id} ` }]);
    expectProblem(twice, 422, 'validation_failed');
    expect(twice.body.errors).toEqual([{ path: '1.id', message: expect.stringMatching(/more than once/) }]);
    // What only the database refuses (a date Postgres cannot store) is listed per item too.
    const late = await importInto(team.workspaceId, [good, studioFile({ createdAt: '0000-01-01T00:00:00Z' })]);
    expectProblem(late, 422, 'import_failed');
    expect(late.body.errors).toEqual([{ path: '1', message: expect.any(String) }]);
    expect(await snapshot(team)).toEqual(before);
  });

  it('refuses what is not the studio shape: empty, over 100, unknown fields, non-objects (422); no workspace (422)', async () => {
    const before = await snapshot(team);
    expectProblem(await importInto(team.workspaceId, []), 422, 'validation_failed');
    expectProblem(await importInto(team.workspaceId, Array.from({ length: 101 }, (_, i) => studioFile({ id: `x-${i}` }))), 422);
    const { id: _id, ...noId } = studioFile();
    for (const body of [noId, { ...studioFile(), revision: 1 }, { ...studioFile(), id: '   ' }, { ...studioFile(), createdAt: 'yesterday' }, 42, 'brand', [1]]) {
      expectProblem(await importInto(team.workspaceId, body), 422, 'validation_failed');
    }
    expectProblem(await call('/brand-dna/import', { method: 'POST', as: team.editor, body: studioFile() }), 422, 'validation_failed');
    expect(await snapshot(team)).toEqual(before);
  });

  it('editors and owners import; viewers 403; outsiders and admins 404; anon 401', async () => {
    const before = await snapshot(team);
    expectProblem(await importInto(team.workspaceId, studioFile(), team.viewer), 403);
    for (const user of [team.outsider, team.admin]) expectProblem(await importInto(team.workspaceId, studioFile(), user), 404);
    expectProblem(await importInto(team.workspaceId, studioFile(), null), 401);
    expect(await snapshot(team)).toEqual(before);
    const [result] = await imported(studioFile(), team.workspaceId);
    expect(result.outcome).toBe('created');
    expectStatus(await importInto(team.workspaceId, studioFile(), team.owner), 200);
  });

  it('two concurrent imports of one new id make one brand DNA (the later one updates it)', async () => {
    for (let round = 0; round < 5; round++) {
      const file = studioFile();
      const changed = { ...file, axes: { ...file.axes, warmth: 0.9 }, version: '1.1.0' };
      const results = await Promise.all([importInto(team.workspaceId, [studioFile(), file]), importInto(team.workspaceId, changed, team.owner)]);
      for (const res of results) expectStatus(res, 200);
      const [mine, theirs] = [results[0]!.body.data[1], results[1]!.body.data[0]];
      expect([mine.outcome, theirs.outcome].sort()).toEqual(['created', 'updated']);
      expect(mine.brandDnaId).toBe(theirs.brandDnaId);
      const [row] = await db()`
        select count(*)::int as n, max(b.revision) as revision from public.brand_dna_origins o join public.brand_dna b on b.id = o.brand_dna_id
        where o.workspace_id = ${team.workspaceId} and o.external_id = ${file.id}`;
      expect(row).toEqual({ n: 1, revision: 2 });
    }
  });
});

describe('export', () => {
  it('a brand DNA made here exports with its own id and times; importing that file back updates it', async () => {
    const created = await createBrandDna(team, { description: 'Native' });
    const out = await exported(created.id);
    expect(out).toEqual({ id: created.id, name: created.name, description: 'Native', axes: AXES_EXAMPLE, version: '1.0.0', createdAt: created.createdAt, updatedAt: created.updatedAt });

    const other = await createTeam('Import elsewhere');
    const [copy] = await imported(out, other.workspaceId, other.editor);
    expect(copy).toMatchObject({ id: created.id, outcome: 'created' });
    expect(copy.brandDnaId).not.toBe(created.id);
    expect(await exported(copy.brandDnaId, other.viewer)).toEqual(out);

    const edited = { ...out, axes: { ...out.axes, density: 0.1 }, version: '1.1.0', updatedAt: '2030-01-01T00:00:00.000Z' };
    const [back] = await imported(edited);
    expect(back).toEqual({ id: created.id, brandDnaId: created.id, outcome: 'updated', revision: 2, version: '1.1.0' });
    expect(await exported(created.id)).toEqual(edited);
  });

  it('after a change here, the export reports the change\'s time and version; createdAt stays the studio\'s', async () => {
    const file = studioFile();
    const [result] = await imported(file);
    const patched = await call(`/brand-dna/${result.brandDnaId}`, { method: 'PATCH', as: team.editor, body: { axes: { energy: 0.1 } } });
    expectStatus(patched, 200);
    expect(await exported(result.brandDnaId)).toEqual({ ...file, axes: { ...file.axes, energy: 0.1 }, version: '1.0.1', updatedAt: patched.body.updatedAt });
  });

  it('members export (viewers included); others 404; anon 401; unknown ids 404', async () => {
    const [result] = await imported(studioFile());
    for (const user of [team.viewer, team.editor, team.owner]) await exported(result.brandDnaId, user);
    for (const user of [team.outsider, team.admin]) {
      expectProblem(await call(`/brand-dna/${result.brandDnaId}/export`, { as: user }), 404);
      expectProblem(await call(`/brand-dna/export?workspaceId=${team.workspaceId}`, { as: user }), 404);
    }
    expectProblem(await call(`/brand-dna/${result.brandDnaId}/export`), 401);
    expectProblem(await call(`/brand-dna/${randomUUID()}/export`, { as: team.viewer }), 404);
    expectProblem(await call('/brand-dna/brand-001/export', { as: team.viewer }), 404);
    expectProblem(await call('/brand-dna/export', { as: team.viewer }), 422);
    const all = await call(`/brand-dna/export?workspaceId=${team.workspaceId}`, { as: team.viewer });
    expectStatus(all, 200);
    expect(all.body.map((b: Json) => b.id)).toContain(result.id);
  });
});
