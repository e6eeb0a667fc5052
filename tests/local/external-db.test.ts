// SUPABASE_DB_URL: the stack on a database that already is Supabase-shaped (it has Supabase Auth's
// `auth.schema_migrations`), so the bootstrap is skipped and nothing but what Supabase itself has
// is there: no helper of ours creates the Realtime partitions, the services log in as their roles.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, roleUrl, startThrowawayDatabase, SUPERUSER, type RunningDatabase } from '../../local/db.ts';
import { startStack, type Stack } from '../../local/stack.ts';

let db: RunningDatabase;
let stack: Stack;
let sql: ReturnType<typeof connect>;
const steps = new Map<string, string | undefined>();

beforeAll(async () => {
  db = await startThrowawayDatabase('external', { migrations: false });
  // What Supabase Auth leaves behind; from now on the stack treats the database as Supabase's own.
  const admin = connect(roleUrl(db.url, SUPERUSER));
  await admin.unsafe('create table auth.schema_migrations (version text primary key); alter table auth.schema_migrations owner to supabase_auth_admin');
  await admin.end();
  stack = await startStack({ ephemeral: true, functions: false, overrides: { dbUrl: db.url }, onStep: (step, _ms, detail) => steps.set(step, detail) });
  sql = connect(stack.dbUrl);
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await stack?.stop();
  await db?.stop();
});

describe('the stack on a Supabase database given by SUPABASE_DB_URL', () => {
  it('leaves the platform alone and applies the migrations as postgres', async () => {
    expect(steps.get('platform bootstrap')).toBe('skipped');
    const [row] = await sql<{ user: string; tables: number }[]>`
      select current_user as user, count(*)::int as tables from pg_tables where schemaname = 'public'`;
    expect(row).toEqual({ user: 'postgres', tables: expect.any(Number) });
    expect(row!.tables).toBeGreaterThan(0);
  });

  it("has Realtime's partitions of realtime.messages, created by the Realtime service as its role", async () => {
    const rows = await sql<{ name: string; owner: string }[]>`
      select c.relname as name, pg_get_userbyid(c.relowner) as owner
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'realtime.messages'::regclass order by 1`;
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => r.owner))).toEqual(new Set(['supabase_realtime_admin']));
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '_');
    expect(rows.map((r) => r.name)).toContain(`messages_${today}`);
  });

  it('signs a user up through Auth, whose insert fires the project trigger on auth.users', async () => {
    const email = `external-${randomBytes(4).toString('hex')}@test.local`;
    const res = await fetch(`${stack.url}/auth/v1/signup`, {
      method: 'POST',
      headers: { apikey: stack.config.anonKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password: 'a-long-password' }),
    });
    expect(res.status).toBe(200);
    const [profile] = await sql<{ email: string }[]>`select email from public.profiles where email = ${email}`;
    expect(profile).toEqual({ email });
  });
});
