// A brand DNA change racing a removal: the broadcast trigger reads the workspace's access epoch FOR
// SHARE, so the change and the new epoch are serialised. A change in flight when the removal comes
// is committed first and sent to the old topics, before their topic_closed; a change that comes
// while the removal is in flight waits for it and goes to the new topics. Nothing reaches the old
// topics after their topic_closed. Two real connections, each holding its transaction open.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { insertSignedInUser } from '../fixtures/users.ts';

const stack = inject('stack');
const admin = postgres(stack.dbUrl, { max: 2, onnotice: () => {} });
const users: string[] = [];
let workspaceId = '';
let brandDnaId = '';

beforeAll(async () => {
  for (let i = 0; i < 3; i++) users.push((await insertSignedInUser(admin, { name: 'epoch' })).id);
  const [workspace] = await admin<{ id: string }[]>`insert into public.workspaces (name, created_by) values ('Epochs', ${users[0]!}) returning id`;
  workspaceId = workspace!.id;
  await admin`insert into public.workspace_members (workspace_id, user_id, role)
              values (${workspaceId}, ${users[0]!}, 'owner'), (${workspaceId}, ${users[1]!}, 'viewer'), (${workspaceId}, ${users[2]!}, 'viewer')`;
  const [brand] = await admin<{ id: string }[]>`
    insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
    values (${workspaceId}, 'raced', 'Raced', 0.5, 0.5, 0.5, 0.5, 0.5) returning id`;
  brandDnaId = brand!.id;
});

afterAll(async () => {
  if (workspaceId) await admin`delete from public.workspaces where id = ${workspaceId}`;
  if (users.length) await admin`delete from auth.users where id in ${admin(users)}`;
  await admin.end();
});

async function epoch(): Promise<string> {
  const [row] = await admin<{ realtime_epoch: string }[]>`select realtime_epoch from public.workspaces where id = ${workspaceId}`;
  return row!.realtime_epoch;
}

/** An open transaction on a connection of its own, and that connection's backend pid. */
async function transaction() {
  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  const tx = await sql.reserve();
  const [{ pid }] = (await tx`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
  await tx`begin`;
  return {
    tx,
    pid,
    async end(): Promise<void> {
      await tx`rollback`.catch(() => {});
      tx.release();
      await sql.end();
    },
  };
}

/** Resolves once the backend `pid` waits for a lock (or never: race it with what should wait). */
async function waitingForLock(pid: number): Promise<void> {
  for (;;) {
    const [row] = await admin<{ waiting: boolean }[]>`select wait_event_type = 'Lock' as waiting from pg_stat_activity where pid = ${pid}`;
    if (row?.waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Topics of the UPDATE broadcasts of this revision. */
async function topicsOf(revision: number): Promise<string[]> {
  const rows = await admin<{ topic: string }[]>`
    select topic from realtime.messages
    where event = 'UPDATE' and payload ->> 'id' = ${brandDnaId} and (payload ->> 'revision')::int = ${revision} order by topic`;
  return rows.map((row) => row.topic);
}

const topics = (e: string) => [`brand_dna:${brandDnaId}:${e}`, `workspace:${workspaceId}:${e}`].sort();

describe('a change racing a removal', () => {
  it('in flight when the removal comes: the removal waits, and the change goes to the old topics', async () => {
    const before = await epoch();
    const [change, removal] = [await transaction(), await transaction()];
    try {
      const [row] = (await change.tx`update public.brand_dna set energy = 0.61 where id = ${brandDnaId} returning revision`) as unknown as [{ revision: number }];
      let removed = false;
      const removing = removal.tx`delete from public.workspace_members where workspace_id = ${workspaceId} and user_id = ${users[1]!}`
        .execute()
        .then(() => (removed = true));
      await Promise.race([waitingForLock(removal.pid), removing]);
      expect(removed).toBe(false);
      await change.tx`commit`;
      await removing;
      await removal.tx`commit`;
      expect(await topicsOf(row.revision)).toEqual(topics(before));
      expect(await epoch()).not.toBe(before);
    } finally {
      await Promise.all([change.end(), removal.end()]);
    }
  });

  it('coming while the removal is in flight: the change waits, and goes to the new topics only', async () => {
    const before = await epoch();
    const removal = await transaction();
    try {
      await removal.tx`delete from public.workspace_members where workspace_id = ${workspaceId} and user_id = ${users[2]!}`;
      const [{ after }] = (await removal.tx`select realtime_epoch as after from public.workspaces where id = ${workspaceId}`) as unknown as [{ after: string }];
      const change = await transaction();
      try {
        const updated = change.tx`update public.brand_dna set energy = 0.62 where id = ${brandDnaId} returning revision`.execute();
        await Promise.race([waitingForLock(change.pid), updated]);
        await removal.tx`commit`;
        const [row] = (await updated) as unknown as [{ revision: number }];
        await change.tx`commit`;
        expect(await topicsOf(row.revision)).toEqual(topics(after));
        const [closed] = await admin<{ n: number }[]>`
          select count(*)::int as n from realtime.messages where event = 'topic_closed' and topic = ${`brand_dna:${brandDnaId}:${before}`}`;
        expect(closed!.n).toBe(1);
      } finally {
        await change.end();
      }
    } finally {
      await removal.end();
    }
  });
});
