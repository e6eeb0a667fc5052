// The local database is as strict as a hosted Supabase project: migrations pushed by the real CLI
// as `postgres` (no superuser) get no default privileges for the API roles and cannot do what only
// a superuser may. A project that forgets a grant, or needs a superuser, fails here, not after
// deploying.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, pushMigrations, roleUrl, startThrowawayDatabase, SUPERUSER, type RunningDatabase } from '../../local/db.ts';

const NOTES = `create table public.notes (id int primary key, body text not null);
comment on table public.notes is 'Fixture: a table whose migration forgets the grant.';
alter table public.notes enable row level security;
create policy "anyone reads notes" on public.notes for select to anon, authenticated using (true);
insert into public.notes values (1, 'hello');`;

let db: RunningDatabase;
let project: string;

/** A Supabase project folder holding exactly these migrations (file name → SQL). */
async function projectWith(migrations: Record<string, string>): Promise<string> {
  await rm(path.join(project, 'supabase', 'migrations'), { recursive: true, force: true });
  await mkdir(path.join(project, 'supabase', 'migrations'), { recursive: true });
  for (const [name, sql] of Object.entries(migrations)) {
    await writeFile(path.join(project, 'supabase', 'migrations', name), sql);
  }
  return project;
}

/** Reads the notes as an API role does: SET ROLE in a transaction, like PostgREST and the API. */
async function readNotesAs(role: 'anon' | 'authenticated'): Promise<unknown> {
  const sql = connect(db.url);
  try {
    return await sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${role}`);
      return tx`select id, body from public.notes`;
    });
  } finally {
    await sql.end();
  }
}

beforeAll(async () => {
  db = await startThrowawayDatabase('strict', { migrations: false });
  project = await mkdtemp(path.join(os.tmpdir(), 'strict-platform-'));
  await mkdir(path.join(project, 'supabase'), { recursive: true });
  await writeFile(path.join(project, 'supabase', 'config.toml'), 'project_id = "strict-platform-fixture"\n');
  await pushMigrations(db.url, await projectWith({ '20260101000000_notes.sql': NOTES }));
}, 120_000);

afterAll(async () => {
  await db?.stop();
  if (project) await rm(project, { recursive: true, force: true });
});

describe('a table whose migration forgets its grant', () => {
  it.each(['anon', 'authenticated'] as const)('is out of reach for %s, policy or not', async (role) => {
    await expect(readNotesAs(role)).rejects.toMatchObject({ code: '42501', message: 'permission denied for table notes' });
  });

  it('is reachable once a migration grants it', async () => {
    await pushMigrations(
      db.url,
      await projectWith({
        '20260101000000_notes.sql': NOTES,
        '20260101000100_notes_grant.sql': 'grant select on public.notes to anon, authenticated;',
      }),
    );
    expect(await readNotesAs('anon')).toEqual([{ id: 1, body: 'hello' }]);
  });
});

describe('extensions', () => {
  it('only those every Supabase project has are preinstalled', async () => {
    const sql = connect(db.url);
    try {
      const rows = await sql<{ extname: string }[]>`
        select e.extname from pg_extension e where e.extnamespace = 'extensions'::regnamespace order by 1`;
      expect(rows.map((r) => r.extname)).toEqual(['pg_stat_statements', 'pgcrypto', 'uuid-ossp']);
    } finally {
      await sql.end();
    }
  });

  it('a migration that uses pg_trgm without creating it fails', async () => {
    const fixture = await projectWith({
      '20260101000000_notes.sql': NOTES,
      '20260101000100_notes_grant.sql': 'grant select on public.notes to anon, authenticated;',
      '20260101000200_fuzzy.sql': 'create index notes_body_trgm on public.notes using gin (body extensions.gin_trgm_ops);',
    });
    await expect(pushMigrations(db.url, fixture)).rejects.toThrow(/operator class "extensions.gin_trgm_ops" does not exist/);
  });
});

describe('a migration that needs a superuser fails when the CLI pushes it as postgres', () => {
  it.each([
    ['creates a table in the auth schema', 'create table auth.notes (id int)'],
    ['turns off RLS on realtime.messages', 'alter table realtime.messages disable row level security'],
    ['makes postgres a superuser', 'alter role postgres superuser'],
    ['runs a program on the server', "copy (select 1) to program 'true'"],
    ['creates an extension Supabase does not allow', 'create extension file_fdw'],
    ['joins the Auth admin role', 'grant supabase_auth_admin to postgres'],
  ])('%s', async (_what, statement) => {
    const fixture = await projectWith({
      '20260101000000_notes.sql': NOTES,
      '20260101000100_notes_grant.sql': 'grant select on public.notes to anon, authenticated;',
      '20260101000200_needs_superuser.sql': `${statement};`,
    });
    await expect(pushMigrations(db.url, fixture)).rejects.toThrow(/SQLSTATE 42501/);
    // Nothing of it stayed behind: the migration is not recorded and can be fixed and pushed again.
    const admin = connect(roleUrl(db.url, SUPERUSER));
    try {
      const versions = await admin<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by 1`;
      expect(versions.map((v) => v.version)).toEqual(['20260101000000', '20260101000100']);
      const [state] = await admin<{ superuser: boolean; rls: boolean; table: string | null }[]>`
        select (select rolsuper from pg_roles where rolname = 'postgres') as superuser,
               (select relrowsecurity from pg_class where oid = 'realtime.messages'::regclass) as rls,
               to_regclass('auth.notes')::text as table`;
      expect(state).toEqual({ superuser: false, rls: true, table: null });
    } finally {
      await admin.end();
    }
  });
});
