// GET /workspaces/{id}/realtime and /brand-dna/{id}/realtime: where members listen for live changes.
// The topics carry the workspace's access epoch, which changes when someone loses access; with
// `after`, the epoch that followed a closed one. Former members, and everyone else, get 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealtimeTopicsSchema } from '../../sdk/src/index.ts';
import { call, closeDb, createBrandDna, createTeam, expectProblem, expectStatus, snapshot, stack, ZERO_UUID, type CallOptions, type Team } from './helpers.ts';

let team: Team;
let brandDnaId: string;

beforeAll(async () => {
  team = await createTeam('Realtime topics');
  brandDnaId = (await createBrandDna(team)).id;
});
afterAll(closeDb);

const workspaceTopics = (as: CallOptions['as'], after?: string) =>
  call(`/workspaces/${team.workspaceId}/realtime${after ? `?after=${after}` : ''}`, { as });
const brandTopics = (as: CallOptions['as'], after?: string) =>
  call(`/brand-dna/${brandDnaId}/realtime${after ? `?after=${after}` : ''}`, { as });

describe('the realtime topics', () => {
  it('name the current epoch\'s topics for members and the service role', async () => {
    const res = await workspaceTopics(team.viewer);
    expectStatus(res, 200);
    const topics = RealtimeTopicsSchema.parse(res.body);
    expect(topics).toEqual({
      workspaceId: team.workspaceId,
      epoch: expect.stringMatching(/^[0-9a-f]{32}$/),
      topic: `workspace:${team.workspaceId}:${topics.epoch}`,
      presenceTopic: `workspace:${team.workspaceId}:${topics.epoch}:presence`,
      replaySince: expect.any(String),
    });
    // Replay reaches a minute back, to catch changes whose transaction began before the epoch.
    expect(Date.now() - Date.parse(topics.replaySince)).toBeGreaterThan(55_000);
    const brand = await brandTopics(team.editor);
    expectStatus(brand, 200);
    expect(brand.body).toMatchObject({ workspaceId: team.workspaceId, epoch: topics.epoch, topic: `brand_dna:${brandDnaId}:${topics.epoch}` });
    expect((await workspaceTopics(stack.serviceRoleKey)).body.epoch).toBe(topics.epoch);
  });

  it('are 404 for non-members, platform admins and unknown ids, 401 without a user', async () => {
    for (const as of [team.outsider, team.admin]) {
      expectProblem(await workspaceTopics(as), 404, 'not_found');
      expectProblem(await brandTopics(as), 404, 'not_found');
    }
    expectProblem(await call(`/brand-dna/${ZERO_UUID}/realtime`, { as: team.owner }), 404);
    expectProblem(await call(`/brand-dna/${team.workspaceId}/realtime`, { as: team.owner }), 404);
    expectProblem(await workspaceTopics(null), 401, 'unauthorized');
    expectProblem(await call(`/workspaces/not-a-uuid/realtime`, { as: team.owner }), 404);
  });

  it('refuse an `after` that is not an epoch with 422, and change nothing', async () => {
    const before = await snapshot(team);
    for (const after of ['xyz', 'A'.repeat(32), `${'0'.repeat(32)}' or '1'='1`]) {
      expectProblem(await call(`/workspaces/${team.workspaceId}/realtime?after=${encodeURIComponent(after)}`, { as: team.owner }), 422);
    }
    expectProblem(await call(`/workspaces/${team.workspaceId}/realtime?since=1`, { as: team.owner }), 422);
    expect(await snapshot(team)).toEqual(before);
  });

  it('change when someone loses access; `after` walks from a closed epoch to the next; a former member gets 404', async () => {
    const first = (await workspaceTopics(team.owner)).body.epoch as string;
    expectStatus(await call(`/workspaces/${team.workspaceId}/members/${team.editor.id}`, { method: 'PATCH', as: team.owner, body: { role: 'viewer' } }), 200);
    const second = (await workspaceTopics(team.owner)).body.epoch as string;
    expect(second).not.toBe(first);
    expectStatus(await call(`/workspaces/${team.workspaceId}/members/${team.viewer.id}`, { method: 'DELETE', as: team.owner }), 204);
    const third = (await workspaceTopics(team.owner)).body.epoch as string;
    expect(new Set([first, second, third]).size).toBe(3);

    // Members catching up: one step at a time, from any epoch they were on.
    expect((await workspaceTopics(team.editor, first)).body.epoch).toBe(second);
    expect((await brandTopics(team.editor, second)).body).toMatchObject({ epoch: third, topic: `brand_dna:${brandDnaId}:${third}` });
    expect((await workspaceTopics(team.editor, third)).body.epoch).toBe(third);
    expect((await workspaceTopics(team.editor, 'f'.repeat(32))).body.epoch).toBe(third);

    // The removed viewer learns nothing, with or without `after`.
    expectProblem(await workspaceTopics(team.viewer), 404);
    expectProblem(await workspaceTopics(team.viewer, second), 404);
    expectProblem(await brandTopics(team.viewer, second), 404);
  });
});
