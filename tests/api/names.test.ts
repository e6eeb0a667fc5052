// Names through the API (workspace, brand DNA, preset, display name): stored in NFC; names made only
// of invisible, format or bidi-control characters and strings with lone surrogates are 422 with a
// field error, and change nothing. The SDK's notion of "visible" matches the database's.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasVisibleCharacter } from '../../sdk/src/schemas.ts';
import { AXES_EXAMPLE, call, closeDb, createBrandDna, createTeam, db, expectProblem, expectStatus, snapshot, type Team } from './helpers.ts';

let team: Team;
let brandId: string;
let presetId: string;

beforeAll(async () => {
  team = await createTeam('Names suite');
  brandId = (await createBrandDna(team)).id;
  const preset = await call('/presets', { method: 'POST', as: team.editor, body: { name: 'Names preset', category: 'names', axes: AXES_EXAMPLE } });
  expectStatus(preset, 201);
  presetId = preset.body.id;
});
afterAll(closeDb);

/** Every route that takes a name: [label, method, path, body with the name, field, caller]. */
function nameWrites(name: string) {
  return [
    ['create workspace', 'POST', '/workspaces', { name }, 'name', team.owner],
    ['rename workspace', 'PATCH', `/workspaces/${team.workspaceId}`, { name }, 'name', team.owner],
    ['create brand DNA', 'POST', '/brand-dna', { workspaceId: team.workspaceId, name, axes: AXES_EXAMPLE }, 'name', team.editor],
    ['replace brand DNA', 'PUT', `/brand-dna/${brandId}`, { name, axes: AXES_EXAMPLE }, 'name', team.editor],
    ['patch brand DNA', 'PATCH', `/brand-dna/${brandId}`, { name }, 'name', team.editor],
    ['create preset', 'POST', '/presets', { name, category: 'names', axes: AXES_EXAMPLE }, 'name', team.editor],
    ['patch preset', 'PATCH', `/presets/${presetId}`, { name }, 'name', team.editor],
    ['sign up', 'POST', '/auth/signup', { email: `names-${randomUUID().slice(0, 8)}@example.com`, password: 'long enough secret', displayName: name }, 'displayName', null],
  ] as const;
}

describe('names', () => {
  it('are stored in NFC whatever form the client sends', async () => {
    const decomposed = 'Cafe\u0301 Cre\u0300me'; // e + COMBINING ACUTE ACCENT, e + COMBINING GRAVE ACCENT
    const composed = 'Caf\u00e9 Cr\u00e8me';
    const workspace = await call('/workspaces', { method: 'POST', as: team.owner, body: { name: decomposed } });
    expectStatus(workspace, 201);
    expect(workspace.body.name).toBe(composed);
    const brand = await call('/brand-dna', { method: 'POST', as: team.editor, body: { workspaceId: team.workspaceId, name: decomposed, axes: AXES_EXAMPLE } });
    expectStatus(brand, 201);
    expect(brand.body.name).toBe(composed);
    const preset = await call(`/presets/${presetId}`, { method: 'PATCH', as: team.editor, body: { name: decomposed } });
    expectStatus(preset, 200);
    expect(preset.body.name).toBe(composed);
    const [row] = await db()`select name from public.brand_dna where id = ${brand.body.id}`;
    expect(row!.name).toBe(composed);
    // The same name in another form is no change: no new version.
    const again = await call(`/brand-dna/${brand.body.id}`, { method: 'PATCH', as: team.editor, body: { name: decomposed } });
    expectStatus(again, 200);
    expect(again.body.revision).toBe(brand.body.revision);
  });

  it('made only of invisible, format or bidi-control characters are 422 with a field error, on every route', async () => {
    const before = await snapshot(team);
    for (const name of ['\u200b', '\u202e\u202c', '\u2066\u2069\u200f', '\ufeff\u2060', '\u00a0\u3000', '\u3164', '\u2800', '\u00ad\u200d', '\ufe0f\u{e0041}']) {
      for (const [label, method, path, body, field, as] of nameWrites(name)) {
        const res = await call(path, { method, as, body });
        expectProblem(res, 422, 'validation_failed');
        // White space alone is trimmed away first: that name is empty.
        const message = name.trim() === '' ? 'must not be empty' : 'must contain a visible character';
        expect(res.body.errors, `${label} with ${JSON.stringify(name)}`).toEqual([{ path: field, message }]);
      }
    }
    expect(await snapshot(team)).toEqual(before);
  });

  it('with a visible character among invisible ones are fine', async () => {
    const res = await call(`/workspaces/${team.workspaceId}`, { method: 'PATCH', as: team.owner, body: { name: '\u200f\u05e6\u05d5\u05d5\u05ea \u200bTeam' } });
    expectStatus(res, 200);
    expect(res.body.name).toBe('\u200f\u05e6\u05d5\u05d5\u05ea \u200bTeam');
  });

  it('with lone surrogates are 422, not stored as U+FFFD', async () => {
    const before = await snapshot(team);
    for (const escaped of ['\\ud800', 'A\\udfffB', 'Brand \\ud83c']) {
      for (const [label, method, path, body, field, as] of nameWrites('PLACEHOLDER')) {
        // JSON.stringify would escape a lone surrogate the same way; written out to be explicit.
        const raw = JSON.stringify(body).replace('PLACEHOLDER', escaped);
        const res = await call(path, { method, as, raw, headers: { 'Content-Type': 'application/json' } });
        expectProblem(res, 422, 'validation_failed');
        expect(res.body.errors, `${label} with ${escaped}`).toEqual([{ path: field, message: 'must not contain unpaired surrogates' }]);
      }
    }
    expect(await snapshot(team)).toEqual(before);
    const [row] = await db()`select count(*)::int as n from public.workspaces where name like ${'%\ufffd%'}`;
    expect(row!.n).toBe(0);
  });

  it('a paired surrogate (an emoji) is fine', async () => {
    const res = await call(`/workspaces/${team.workspaceId}`, { method: 'PATCH', as: team.owner, body: { name: 'Palette \ud83c\udfa8' } });
    expectStatus(res, 200);
    expect(res.body.name).toBe('Palette 🎨');
  });

  it('the SDK and the database agree on which characters are invisible', async () => {
    // Every code point the SDK calls invisible, its neighbours, and every 101st code point.
    const points = new Set<number>();
    for (let cp = 1; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const invisible = !hasVisibleCharacter(String.fromCodePoint(cp));
      if (invisible || cp % 101 === 0) for (const near of [cp - 1, cp, cp + 1]) points.add(near);
    }
    const candidates = [...points].filter((cp) => cp >= 1 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff));
    const rows = await db()<{ cp: number }[]>`
      select cp from unnest(${candidates}::int[]) as cp where not private.has_visible_character(chr(cp))`;
    const database = rows.map((r) => r.cp).sort((a, b) => a - b);
    const sdk = candidates.filter((cp) => !hasVisibleCharacter(String.fromCodePoint(cp))).sort((a, b) => a - b);
    expect(sdk.length).toBeGreaterThan(100);
    expect(database).toEqual(sdk);
  });
});
