// Every route × every role in one table: anon, a signed-in outsider, viewer, editor, owner of the
// workspace, and a platform admin (not a member). Routes that change something run against a fresh
// workspace per role, so that one role's success cannot hide another's denial.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AXES_EXAMPLE, call, closeDb, createBrandDna, createTeam, createUser, expectProblem, stack, type Team, type TestUser } from './helpers.ts';

type Role = 'anon' | 'outsider' | 'viewer' | 'editor' | 'owner' | 'admin';
const ROLES: Role[] = ['anon', 'outsider', 'viewer', 'editor', 'owner', 'admin'];
const BUILTIN_ID = '7f3c1a2e-0001-4c6e-9a51-000000000001';
const MATRIX_AXES = { density: 0.123, warmth: 0.123, playfulness: 0.123, sophistication: 0.123, energy: 0.123 };
const STUDIO_BRAND_DNA = { id: 'brand-001', name: 'Matrix brand', axes: MATRIX_AXES, version: '1.0.0', createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-02T00:00:00.000Z' };

interface Fixture {
  team: Team;
  brandDnaId: string;
  workspacePresetId: string;
  builtinPresetId: string;
  newcomer: TestUser;
  /** An invitation of the newcomer into the team's workspace. */
  invitationId: string;
}

async function fixture(): Promise<Fixture> {
  const team = await createTeam('Matrix');
  const [brand, preset, builtin, newcomer] = await Promise.all([
    createBrandDna(team),
    call('/presets', { method: 'POST', as: team.editor, body: { name: 'Team preset', category: 'matrix-test', axes: MATRIX_AXES, workspaceId: team.workspaceId } }),
    call('/presets', { method: 'POST', as: stack.serviceRoleKey, body: { name: `Matrix built-in ${randomUUID()}`, category: 'matrix-test', axes: MATRIX_AXES, builtin: true } }),
    createUser({ name: 'newcomer' }),
  ]);
  expect([preset.status, builtin.status]).toEqual([201, 201]);
  const invitation = await call(`/workspaces/${team.workspaceId}/invitations`, { method: 'POST', as: team.owner, body: { email: newcomer.email } });
  expect(invitation.status).toBe(201);
  return { team, brandDnaId: brand.id, workspacePresetId: preset.body.id, builtinPresetId: builtin.body.id, newcomer, invitationId: invitation.body.id };
}

function userFor(team: Team, role: Role): TestUser | null {
  return role === 'anon' ? null : team[role];
}

interface Case {
  route: string;
  path: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  /** Changes something: a fresh fixture per role. */
  mutates?: boolean;
  expect: [anon: number, outsider: number, viewer: number, editor: number, owner: number, admin: number];
}

const CASES: Case[] = [
  { route: 'GET /health', path: () => '/health', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /openapi.json', path: () => '/openapi.json', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /docs', path: () => '/docs', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /workspaces', path: () => '/workspaces', expect: [401, 200, 200, 200, 200, 200] },
  { route: 'POST /workspaces', path: () => '/workspaces', body: () => ({ name: 'New' }), mutates: true, expect: [401, 201, 201, 201, 201, 201] },
  { route: 'GET /workspaces/:id', path: (f) => `/workspaces/${f.team.workspaceId}`, expect: [401, 404, 200, 200, 200, 404] },
  { route: 'PATCH /workspaces/:id', path: (f) => `/workspaces/${f.team.workspaceId}`, body: () => ({ name: 'Renamed' }), mutates: true, expect: [401, 404, 403, 403, 200, 404] },
  { route: 'DELETE /workspaces/:id', path: (f) => `/workspaces/${f.team.workspaceId}`, mutates: true, expect: [401, 404, 403, 403, 204, 404] },
  { route: 'GET /workspaces/:id/members', path: (f) => `/workspaces/${f.team.workspaceId}/members`, expect: [401, 404, 200, 200, 200, 404] },
  // People join by invitation; adding members directly is for the service role.
  { route: 'POST /workspaces/:id/members', path: (f) => `/workspaces/${f.team.workspaceId}/members`, body: (f) => ({ email: f.newcomer.email }), mutates: true, expect: [401, 404, 403, 403, 403, 404] },
  { route: 'PATCH /workspaces/:id/members/:userId', path: (f) => `/workspaces/${f.team.workspaceId}/members/${f.team.viewer.id}`, body: () => ({ role: 'editor' }), mutates: true, expect: [401, 404, 403, 403, 200, 404] },
  // Members may remove themselves: the viewer removing the viewer is leaving.
  { route: 'DELETE /workspaces/:id/members/:userId', path: (f) => `/workspaces/${f.team.workspaceId}/members/${f.team.viewer.id}`, mutates: true, expect: [401, 404, 204, 403, 204, 404] },
  { route: 'GET /workspaces/:id/realtime', path: (f) => `/workspaces/${f.team.workspaceId}/realtime`, expect: [401, 404, 200, 200, 200, 404] },
  { route: 'POST /workspaces/:id/invitations', path: (f) => `/workspaces/${f.team.workspaceId}/invitations`, body: (f) => ({ email: f.newcomer.email }), mutates: true, expect: [401, 404, 403, 403, 201, 404] },
  { route: 'GET /workspaces/:id/invitations', path: (f) => `/workspaces/${f.team.workspaceId}/invitations`, expect: [401, 404, 403, 403, 200, 404] },
  { route: 'DELETE /workspaces/:id/invitations/:invitationId', path: (f) => `/workspaces/${f.team.workspaceId}/invitations/${f.invitationId}`, mutates: true, expect: [401, 404, 403, 403, 204, 404] },
  { route: 'GET /invitations', path: () => '/invitations', expect: [401, 200, 200, 200, 200, 200] },
  // Only the invited address (the newcomer, not in this table) may answer by id.
  { route: 'POST /invitations/accept', path: () => '/invitations/accept', body: (f) => ({ id: f.invitationId }), expect: [401, 404, 404, 404, 404, 404] },
  { route: 'POST /invitations/decline', path: () => '/invitations/decline', body: (f) => ({ id: f.invitationId }), expect: [401, 404, 404, 404, 404, 404] },
  { route: 'GET /brand-dna', path: (f) => `/brand-dna?workspaceId=${f.team.workspaceId}`, expect: [401, 200, 200, 200, 200, 200] },
  { route: 'POST /brand-dna', path: () => '/brand-dna', body: (f) => ({ workspaceId: f.team.workspaceId, name: 'New', axes: AXES_EXAMPLE }), mutates: true, expect: [401, 404, 403, 201, 201, 404] },
  { route: 'POST /brand-dna/from-preset', path: () => '/brand-dna/from-preset', body: (f) => ({ workspaceId: f.team.workspaceId, presetId: BUILTIN_ID }), mutates: true, expect: [401, 404, 403, 201, 201, 404] },
  { route: 'POST /brand-dna/import', path: (f) => `/brand-dna/import?workspaceId=${f.team.workspaceId}`, body: () => STUDIO_BRAND_DNA, mutates: true, expect: [401, 404, 403, 200, 200, 404] },
  { route: 'GET /brand-dna/export', path: (f) => `/brand-dna/export?workspaceId=${f.team.workspaceId}`, expect: [401, 404, 200, 200, 200, 404] },
  { route: 'GET /brand-dna/:id/export', path: (f) => `/brand-dna/${f.brandDnaId}/export`, expect: [401, 404, 200, 200, 200, 404] },
  { route: 'GET /brand-dna/:id', path: (f) => `/brand-dna/${f.brandDnaId}`, expect: [401, 404, 200, 200, 200, 404] },
  { route: 'PUT /brand-dna/:id', path: (f) => `/brand-dna/${f.brandDnaId}`, body: () => ({ name: 'Replaced', axes: AXES_EXAMPLE }), mutates: true, expect: [401, 404, 403, 200, 200, 404] },
  { route: 'PATCH /brand-dna/:id', path: (f) => `/brand-dna/${f.brandDnaId}`, body: () => ({ axes: { energy: 0.2 } }), mutates: true, expect: [401, 404, 403, 200, 200, 404] },
  { route: 'DELETE /brand-dna/:id', path: (f) => `/brand-dna/${f.brandDnaId}`, mutates: true, expect: [401, 404, 403, 403, 204, 404] },
  { route: 'GET /brand-dna/:id/realtime', path: (f) => `/brand-dna/${f.brandDnaId}/realtime`, expect: [401, 404, 200, 200, 200, 404] },
  { route: 'GET /brand-dna/:id/versions', path: (f) => `/brand-dna/${f.brandDnaId}/versions`, expect: [401, 404, 200, 200, 200, 404] },
  { route: 'GET /brand-dna/:id/versions/:n', path: (f) => `/brand-dna/${f.brandDnaId}/versions/1`, expect: [401, 404, 200, 200, 200, 404] },
  { route: 'GET /brand-dna/:id/compare', path: (f) => `/brand-dna/${f.brandDnaId}/compare?from=1&to=current`, expect: [401, 404, 200, 200, 200, 404] },
  { route: 'POST /brand-dna/:id/versions/:n/restore', path: (f) => `/brand-dna/${f.brandDnaId}/versions/1/restore`, mutates: true, expect: [401, 404, 403, 200, 200, 404] },
  { route: 'GET /presets', path: () => '/presets?category=tech', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /presets/categories', path: () => '/presets/categories', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /presets/:id (built-in)', path: () => `/presets/${BUILTIN_ID}`, expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /presets/:id (workspace)', path: (f) => `/presets/${f.workspacePresetId}`, expect: [404, 404, 200, 200, 200, 404] },
  { route: 'POST /presets (personal)', path: () => '/presets', body: () => ({ name: 'Mine', category: 'matrix-test', axes: MATRIX_AXES }), mutates: true, expect: [401, 201, 201, 201, 201, 201] },
  { route: 'POST /presets (workspace)', path: () => '/presets', body: (f) => ({ name: 'Ours', category: 'matrix-test', axes: MATRIX_AXES, workspaceId: f.team.workspaceId }), mutates: true, expect: [401, 404, 403, 201, 201, 404] },
  { route: 'POST /presets (built-in)', path: () => '/presets', body: () => ({ name: `Built-in ${randomUUID()}`, category: 'matrix-test', axes: MATRIX_AXES, builtin: true }), mutates: true, expect: [401, 403, 403, 403, 403, 201] },
  { route: 'PATCH /presets/:id (workspace)', path: (f) => `/presets/${f.workspacePresetId}`, body: () => ({ name: 'Renamed' }), mutates: true, expect: [401, 404, 403, 200, 200, 404] },
  { route: 'DELETE /presets/:id (workspace)', path: (f) => `/presets/${f.workspacePresetId}`, mutates: true, expect: [401, 404, 403, 204, 204, 404] },
  { route: 'PATCH /presets/:id (built-in)', path: (f) => `/presets/${f.builtinPresetId}`, body: () => ({ description: 'Curated' }), mutates: true, expect: [401, 403, 403, 403, 403, 200] },
  { route: 'DELETE /presets/:id (built-in)', path: (f) => `/presets/${f.builtinPresetId}`, mutates: true, expect: [401, 403, 403, 403, 403, 204] },
];

let shared: Fixture;
const fixtures: Fixture[] = [];

beforeAll(async () => {
  shared = await fixture();
  fixtures.push(shared);
});

afterAll(async () => {
  // Built-in presets made here are visible to everyone: remove them.
  for (const f of fixtures) await call(`/presets/${f.builtinPresetId}`, { method: 'DELETE', as: stack.serviceRoleKey });
  await closeDb();
});

describe.each(CASES)('$route', (c) => {
  it(`answers ${ROLES.map((r, i) => `${r} ${c.expect[i]}`).join(', ')}`, async () => {
    const method = c.route.split(' ')[0]!;
    const got: Record<string, number> = {};
    for (const role of ROLES) {
      const f = c.mutates ? await fixture() : shared;
      if (c.mutates) fixtures.push(f);
      const res = await call(c.path(f), { method, as: userFor(f.team, role), ...(c.body ? { body: c.body(f) } : {}) });
      got[role] = res.status;
      if (res.status >= 400) expectProblem(res, res.status);
    }
    expect(got).toEqual(Object.fromEntries(ROLES.map((r, i) => [r, c.expect[i]])));
  });
});
