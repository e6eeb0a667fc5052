-- What the platform lets `postgres` (migrations, the SQL editor, these tests) do, as on a hosted
-- project: no superuser, no member of the Auth or Realtime admin roles, only USAGE on their
-- schemas; policies on realtime.messages and triggers on auth.users allowed (supautils on hosted,
-- emulated by the local stack), nothing else on those tables.
begin;
select plan(27);

select is(current_user::text, 'postgres', 'the tests run as postgres');
select ok(not (select rolsuper from pg_roles where rolname = 'postgres'), 'postgres is no superuser');
select ok((select rolbypassrls from pg_roles where rolname = 'postgres'), 'postgres bypasses RLS');
select ok(not pg_has_role('postgres', 'supabase_auth_admin', 'member'), 'postgres is no member of supabase_auth_admin');
select ok(not pg_has_role('postgres', 'supabase_realtime_admin', 'member'), 'postgres is no member of supabase_realtime_admin');
select ok(pg_has_role('postgres', 'authenticated', 'member') and pg_has_role('postgres', 'anon', 'member')
          and pg_has_role('postgres', 'service_role', 'member'), 'postgres may switch into the API roles');
select ok(has_schema_privilege('postgres', 'auth', 'usage') and not has_schema_privilege('postgres', 'auth', 'create'),
  'postgres may only use the auth schema');
select ok(has_schema_privilege('postgres', 'realtime', 'usage') and not has_schema_privilege('postgres', 'realtime', 'create'),
  'postgres may only use the realtime schema');
select is((select relrowsecurity from pg_class where oid = 'auth.users'::regclass), true, 'auth.users has RLS on');
select ok((select bool_and(rolinherit) from pg_roles where rolname in ('anon', 'authenticated', 'service_role')),
  'the API roles inherit');
select ok((select rolconfig from pg_roles where rolname = 'authenticator') @> array['statement_timeout=8s'],
  'authenticator stops statements after 8 s');

-- Policies on realtime.messages (supautils' policy_grants).
select lives_ok($$create policy "platform test" on realtime.messages for select to authenticated using (false)$$,
  'postgres creates a policy on realtime.messages');
select lives_ok($$comment on policy "platform test" on realtime.messages is 'A policy of this test.'$$, 'and comments on it');
select lives_ok($$alter policy "platform test" on realtime.messages using (true)$$, 'and alters it');
select lives_ok($$drop policy "platform test" on realtime.messages$$, 'and drops it');
select ok(not pg_has_role('postgres', 'supabase_realtime_admin', 'member'), 'and still owns nothing of Realtime''s afterwards');
select throws_ok($$alter table realtime.messages disable row level security$$, '42501', null,
  'but may not turn off RLS on realtime.messages');
select throws_ok($$comment on table realtime.messages is 'Mine now.'$$, '42501', null, 'nor comment on the table itself');
select throws_ok($$create policy "platform test" on auth.mfa_amr_claims for select to authenticated using (false)$$, '42501', null,
  'nor put policies on auth tables supautils does not list');

-- Triggers on auth.users (the TRIGGER privilege, and supautils' drop_trigger_grants to drop them).
select lives_ok($$create trigger platform_test after insert on auth.users for each row execute function private.touch_updated_at()$$,
  'postgres creates a trigger on auth.users');
select lives_ok($$drop trigger platform_test on auth.users$$, 'and drops it');
select lives_ok($$create trigger platform_test after insert on auth.mfa_amr_claims for each row execute function private.touch_updated_at()$$,
  'postgres may create a trigger on another auth table');
select throws_ok($$drop trigger platform_test on auth.mfa_amr_claims$$, '42501', null, 'but not drop it there');

-- Superuser-only settings supautils lets postgres change (privileged_role_allowed_configs).
select lives_ok($$set local session_replication_role = replica$$, 'postgres may switch triggers off for a bulk load');
select lives_ok($$set local session_replication_role = origin$$, 'and on again');

select throws_ok($$create table auth.platform_test (id int)$$, '42501', null, 'postgres creates nothing in the auth schema');
select throws_ok($$create table realtime.platform_test (id int)$$, '42501', null, 'nor in the realtime schema');

select * from finish();
rollback;
