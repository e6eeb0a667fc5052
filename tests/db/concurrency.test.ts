// Concurrent edits of ONE brand DNA: 8 separate connections each update it 50 times, acting as its
// owner the way the API does (one transaction per request that first sets the role and the JWT
// claims). The row lock must serialise the version trigger: versions 1..401 exist exactly once,
// revision ends at 401 and the semver PATCH advanced once per update.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Claims } from '../../local/jwt.ts';
import { insertSignedInUser, sessionClaims } from '../fixtures/users.ts';

const stack = inject('stack');

const WRITERS = 8;
const UPDATES_PER_WRITER = 50;
const TOTAL_UPDATES = WRITERS * UPDATES_PER_WRITER;

type Sql = ReturnType<typeof postgres>;

function open(): Sql {
  // Like the API: a small pool, no prepared statements (Supavisor transaction mode).
  return postgres(stack.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
}

/** One API-style request: a transaction that acts as the user, then does the work. */
async function asUser<T>(sql: Sql, userId: string, claims: Record<string, unknown>, work: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                    set_config('request.jwt.claim.sub', ${userId}, true),
                    set_config('request.jwt.claim.role', 'authenticated', true)`;
    return work(tx);
  })) as T;
}

describe('concurrent updates of one brand DNA', () => {
  const admin = open();
  let userId = '';
  let claims: Claims = {};
  let workspaceId = '';
  let brandDnaId = '';
  const writers: Sql[] = [];

  beforeAll(async () => {
    const user = await insertSignedInUser(admin, { name: 'concurrency' });
    userId = user.id;
    claims = sessionClaims(user, `${stack.url}/auth/v1`);
    await asUser(admin, userId, claims, async (tx) => {
      const [workspace] = await tx<{ id: string }[]>`select id from public.create_workspace('Concurrency')`;
      workspaceId = workspace!.id;
      const [brand] = await tx<{ id: string }[]>`
        insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
        values (${workspaceId}, 'contended', 'Contended', 0.5, 0.5, 0.5, 0.5, 0.5)
        returning id`;
      brandDnaId = brand!.id;
    });
    for (let w = 0; w < WRITERS; w += 1) writers.push(open());
    // Connect every writer before the race starts.
    await Promise.all(writers.map((sql) => sql`select 1`));
  });

  afterAll(async () => {
    await Promise.all(writers.map((sql) => sql.end()));
    // Deleting the workspace takes its brand DNA and their history along.
    if (workspaceId) await admin`delete from public.workspaces where id = ${workspaceId}`;
    if (userId) await admin`delete from auth.users where id = ${userId}`;
    await admin.end();
  });

  it(`serialises ${TOTAL_UPDATES} updates from ${WRITERS} connections into versions 1..${TOTAL_UPDATES + 1}`, async () => {
    const returned = await Promise.all(
      writers.map(async (sql, w) => {
        const revisions: number[] = [];
        for (let i = 0; i < UPDATES_PER_WRITER; i += 1) {
          // Distinct content every time, so no update is a no-op.
          const rows = await asUser(sql, userId, claims, (tx) => tx<{ revision: number; version: string }[]>`
            update public.brand_dna
               set name = ${`Writer ${w} update ${i}`}, density = ${(w * UPDATES_PER_WRITER + i) / TOTAL_UPDATES}
             where id = ${brandDnaId}
            returning revision, version`);
          expect(rows).toHaveLength(1);
          revisions.push(rows[0]!.revision);
        }
        return revisions;
      }),
    );

    // Each update saw its own revision, and each writer's revisions rose.
    const all = returned.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: TOTAL_UPDATES }, (_, k) => k + 2));
    for (const revisions of returned) {
      expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    }

    // The history: 1..401, each exactly once, PATCH = number - 1, each update snapshotted once.
    const versions = await admin<{ version_number: number; version: string; name: string; created_by: string | null }[]>`
      select version_number, version, name, created_by from public.brand_dna_versions
      where brand_dna_id = ${brandDnaId} order by version_number`;
    expect(versions.map((v) => v.version_number)).toEqual(Array.from({ length: TOTAL_UPDATES + 1 }, (_, k) => k + 1));
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: TOTAL_UPDATES + 1 }, (_, k) => `1.0.${k}`));
    const names = new Set(versions.slice(1).map((v) => v.name));
    expect(names.size).toBe(TOTAL_UPDATES);
    expect(versions.every((v) => v.created_by === userId)).toBe(true);

    const [brand] = await admin<{ revision: number; version: string; name: string }[]>`
      select revision, version, name from public.brand_dna where id = ${brandDnaId}`;
    expect(brand!.revision).toBe(TOTAL_UPDATES + 1);
    expect(brand!.version).toBe(`1.0.${TOTAL_UPDATES}`);
    // The row holds the content of the last snapshot.
    expect(brand!.name).toBe(versions.at(-1)!.name);

    const [counts] = await admin<{ total: string; distinct_numbers: string }[]>`
      select count(*) as total, count(distinct version_number) as distinct_numbers
      from public.brand_dna_versions where brand_dna_id = ${brandDnaId}`;
    expect(Number(counts!.total)).toBe(TOTAL_UPDATES + 1);
    expect(Number(counts!.distinct_numbers)).toBe(TOTAL_UPDATES + 1);
  });
});
