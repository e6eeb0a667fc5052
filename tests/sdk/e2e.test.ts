// The story of two teammates, end to end through the SDK against the stack: sign-up, a workspace
// and an invitation, a brand DNA from a preset, concurrent edits with ifMatch, history, compare,
// restore, preset search, live changes, presence, and sign-out ending realtime access.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { BrandDnaChange } from '../../sdk/src/index.ts';
import { testClient } from './helpers.ts';

/** Resolves with the first value `take` accepts, or rejects after `ms`. */
function waitFor<T>(subscribe: (push: (value: T) => void) => void, take: (value: T) => boolean, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('nothing arrived in time')), ms);
    subscribe((value) => {
      if (take(value)) {
        clearTimeout(timer);
        resolve(value);
      }
    });
  });
}

describe('two teammates through the SDK', () => {
  const ada = testClient();
  const bob = testClient();
  const suffix = randomBytes(4).toString('hex');
  const adaEmail = `ada-${suffix}@example.com`;
  const bobEmail = `bob-${suffix}@example.com`;
  const cleanups: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    await ada.supabase.removeAllChannels();
    await bob.supabase.removeAllChannels();
  });

  let workspaceId = '';
  let brandDnaId = '';
  let bobId = '';

  it('signs both up and builds a workspace with Bob as editor', async () => {
    const a = await ada.auth.signUp({ email: adaEmail, password: 'ada-password-1', displayName: 'Ada' });
    expect(a.error).toBeNull();
    const b = await bob.auth.signUp({ email: bobEmail, password: 'bob-password-1', displayName: 'Bob' });
    expect(b.error).toBeNull();
    bobId = b.data!.user!.id;

    const ws = await ada.workspaces.create({ name: `Studio ${suffix}` });
    expect(ws.error).toBeNull();
    expect(ws.data!.role).toBe('owner');
    workspaceId = ws.data!.id;

    const invited = await ada.workspaces.invite(workspaceId, { email: bobEmail, role: 'editor' });
    expect(invited.error).toBeNull();
    const added = await bob.invitations.accept({ id: invited.data!.id });
    expect(added.error).toBeNull();
    expect(added.data).toMatchObject({ userId: bobId, role: 'editor', displayName: 'Bob' });

    const seen = await bob.workspaces.list();
    expect(seen.data!.data.map((w) => [w.id, w.role])).toContainEqual([workspaceId, 'editor']);
  });

  it('searches presets by text, tag and nearness', async () => {
    const byText = await ada.presets.search({ q: 'luxury' });
    expect(byText.error).toBeNull();
    expect(byText.data!.data.length).toBeGreaterThan(0);
    expect(byText.data!.data.every((p) => p.scope === 'builtin')).toBe(true);

    const byTag = await ada.presets.search({ tags: ['trust'] });
    expect(byTag.data!.data.length).toBeGreaterThan(0);
    expect(byTag.data!.data.every((p) => p.tags.includes('trust'))).toBe(true);

    const target = { density: 0.7, warmth: 0.4, playfulness: 0.3, sophistication: 0.6, energy: 0.8 };
    const near = await ada.presets.search({ near: target, limit: 3 });
    expect(near.data!.data).toHaveLength(3);
    const scores = near.data!.data.map((p) => p.score!);
    expect(scores).toEqual([...scores].sort((x, y) => x - y));
    expect(near.data!.data[0]!.name).toBe('Modern Tech Startup');

    const all: string[] = [];
    const iterator = ada.presets.searchAll({ limit: 5 });
    for await (const preset of iterator) all.push(preset.id);
    expect(iterator.error).toBeNull();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeGreaterThanOrEqual(16);
  });

  it('starts a brand DNA from a preset, and lets Bob watch it live', async () => {
    const [preset] = (await ada.presets.search({ q: 'Modern Tech Startup', limit: 1 })).data!.data;
    const created = await ada.brandDna.fromPreset({ presetId: preset!.id, workspaceId, name: `Acme ${suffix}` });
    expect(created.error).toBeNull();
    expect(created.data!.axes).toEqual(preset!.axes);
    expect(created.data!.revision).toBe(1);
    brandDnaId = created.data!.id;

    const changes: BrandDnaChange[] = [];
    let push: (change: BrandDnaChange) => void = () => {};
    const watched = await bob.brandDna.watch(brandDnaId, (change) => {
      changes.push(change);
      push(change);
    });
    expect(watched.error).toBeNull();
    cleanups.push(watched.data!);

    const arrived = waitFor<BrandDnaChange>((p) => (push = p), (c) => c.revision === 2);
    const edited = await ada.brandDna.update(brandDnaId, { axes: { energy: 0.95 } }, { ifMatch: 1 });
    expect(edited.error).toBeNull();
    const change = await arrived;
    expect(change).toMatchObject({ operation: 'UPDATE', brandDnaId, workspaceId, revision: 2, version: '1.0.1' });
    expect(change.changed).toContain('axes.energy');
    expect(change.brandDna?.axes.energy).toBe(0.95);
    expect(change.actorId).toBe(created.data!.createdBy);
  });

  it('refuses a stale ifMatch, so teammates never overwrite each other', async () => {
    const read = await bob.brandDna.get(brandDnaId);
    const revision = read.data!.revision;
    const first = await ada.brandDna.update(brandDnaId, { name: `Acme ${suffix} by Ada` }, { ifMatch: revision });
    expect(first.error).toBeNull();
    const second = await bob.brandDna.update(brandDnaId, { name: `Acme ${suffix} by Bob` }, { ifMatch: revision });
    expect(second.data).toBeNull();
    expect(second.error).toMatchObject({ code: 'precondition_failed', status: 412 });
    expect((await ada.brandDna.get(brandDnaId)).data!.name).toBe(`Acme ${suffix} by Ada`);

    const retried = await bob.brandDna.update(brandDnaId, { axes: { warmth: 0.2 } }, { ifMatch: first.data!.revision });
    expect(retried.error).toBeNull();
    expect(retried.data!.updatedBy).toBe(bobId);
  });

  it('lists, compares and restores versions', async () => {
    const versions: number[] = [];
    const iterator = ada.brandDna.allVersions(brandDnaId);
    for await (const version of iterator) versions.push(version.versionNumber);
    expect(iterator.error).toBeNull();
    expect([...versions].sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);

    const diff = await ada.brandDna.compare(brandDnaId, { from: 1 });
    expect(diff.error).toBeNull();
    const energy = diff.data!.axes.find((a) => a.axis === 'energy')!;
    expect(energy).toMatchObject({ from: 0.8, to: 0.95, direction: 'up' });
    expect(energy.delta).toBeCloseTo(0.15, 12);
    expect(diff.data!.changed.name).toEqual({ from: `Acme ${suffix}`, to: `Acme ${suffix} by Ada` });

    const restored = await ada.brandDna.restore(brandDnaId, 1);
    expect(restored.error).toBeNull();
    expect(restored.data!.revision).toBe(5);
    expect(restored.data!.axes.energy).toBe(0.8);
    expect(restored.data!.name).toBe(`Acme ${suffix}`);
    const v5 = await ada.brandDna.version(brandDnaId, 5);
    expect(v5.data!.restoredFrom).toBe(1);
  });

  it('shows who is present, for both teammates', async () => {
    const adaPresence = await ada.brandDna.presence(brandDnaId, { name: 'Ada' });
    expect(adaPresence.error).toBeNull();
    cleanups.push(adaPresence.data!.leave);
    let push: (keys: string[]) => void = () => {};
    const both = waitFor<string[]>((p) => (push = p), (keys) => keys.length === 2);
    const bobPresence = await bob.brandDna.presence(brandDnaId, { name: 'Bob' }, { onChange: (members) => push(members.map((m) => m.key)) });
    expect(bobPresence.error).toBeNull();
    cleanups.push(bobPresence.data!.leave);
    push(bobPresence.data!.members().map((m) => m.key));
    const keys = await both;
    const adaId = (await ada.auth.getSession()).data!.user.id;
    expect(keys.sort()).toEqual([adaId, bobId].sort());
    expect(bobPresence.data!.members().find((m) => m.key === adaId)?.state).toEqual({ name: 'Ada' });
  });

  it('stops a viewer from editing', async () => {
    const demoted = await ada.workspaces.updateMember(workspaceId, bobId, { role: 'viewer' });
    expect(demoted.data!.role).toBe('viewer');
    const attempt = await bob.brandDna.update(brandDnaId, { name: 'Viewer edit' });
    expect(attempt.error).toMatchObject({ code: 'forbidden', status: 403 });
    expect((await bob.brandDna.get(brandDnaId)).data!.name).toBe(`Acme ${suffix}`);
  });

  it('ends realtime access on sign-out', async () => {
    let closed: (value: true) => void = () => {};
    const ended = waitFor<true>((p) => (closed = p), () => true);
    const watched = await bob.brandDna.watch(brandDnaId, () => {}, { onClose: () => closed(true) });
    expect(watched.error).toBeNull();
    expect((await bob.auth.signOut()).error).toBeNull();
    await ended;
    const again = await bob.brandDna.watch(brandDnaId, () => {});
    expect(again.error?.code).toBe('realtime_unauthorized');
  });
});
