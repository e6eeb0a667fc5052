// A brand DNA stays editable at every version the API accepts: automatic PATCH bumps roll over into
// MINOR and MAJOR, and the highest version stays. (The first version overflowed the PATCH, and every
// later write was 422 on `version`, owners and restore included.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AXES_EXAMPLE, call, closeDb, createBrandDna, createTeam, expectStatus, type Team } from './helpers.ts';

const TOP = '999999999.999999999.999999999';
let team: Team;

beforeAll(async () => {
  team = await createTeam('Version roll-over suite');
});
afterAll(closeDb);

describe('version bumps', () => {
  it('roll a PATCH at its maximum over into MINOR, and a MINOR at its maximum into MAJOR', async () => {
    const patchMax = await createBrandDna(team, { version: '1.0.999999999' });
    const edited = await call(`/brand-dna/${patchMax.id}`, { method: 'PATCH', as: team.editor, body: { axes: { energy: 0.2 } } });
    expectStatus(edited, 200);
    expect(edited.body).toMatchObject({ version: '1.1.0', revision: 2 });

    const minorMax = await createBrandDna(team, { version: '1.999999999.999999999' });
    const bumped = await call(`/brand-dna/${minorMax.id}`, { method: 'PUT', as: team.editor, body: { name: 'Rolled over', axes: AXES_EXAMPLE } });
    expectStatus(bumped, 200);
    expect(bumped.body).toMatchObject({ version: '2.0.0', revision: 2 });
  });

  it('leave a brand DNA at the highest version editable by everyone who may edit it, restore included', async () => {
    const brand = await createBrandDna(team);
    const top = await call(`/brand-dna/${brand.id}`, { method: 'PATCH', as: team.editor, body: { version: TOP } });
    expectStatus(top, 200);
    expect(top.body).toMatchObject({ version: TOP, revision: 2 });

    let revision = 2;
    for (const [as, method, body] of [
      [team.editor, 'PATCH', { name: 'Edited at the top' }],
      [team.owner, 'PATCH', { axes: { density: 0.1 } }],
      [team.owner, 'PUT', { name: 'Replaced at the top', axes: AXES_EXAMPLE }],
      [team.editor, 'PATCH', { version: '1.0.0', description: 'Lower version asked' }],
    ] as const) {
      const res = await call(`/brand-dna/${brand.id}`, { method, as, body });
      expectStatus(res, 200);
      revision += 1;
      expect(res.body).toMatchObject({ version: TOP, revision });
    }
    const restored = await call(`/brand-dna/${brand.id}/versions/1/restore`, { method: 'POST', as: team.owner });
    expect(restored.status).toBeLessThan(300);
    expect(restored.body).toMatchObject({ version: TOP, revision: revision + 1, name: brand.name });

    const versions = await call(`/brand-dna/${brand.id}/versions?limit=100`, { as: team.viewer });
    expectStatus(versions, 200);
    expect(versions.body.data.map((v: { versionNumber: number }) => v.versionNumber).sort((a: number, b: number) => a - b))
      .toEqual(Array.from({ length: revision + 1 }, (_, i) => i + 1));
  });
});
