-- Test helpers, shared by every other file. This file COMMITS (the helpers must outlive it); every
-- other file runs inside `begin … rollback`.
--
-- Written for both databases the suite runs against: the Docker-less stack (`npm run test:db`) and
-- a real `supabase start` database (`supabase test db`). So the helpers only touch what both have:
-- auth.users with its usual columns (read through to_jsonb, so optional columns such as phone or
-- is_anonymous may be missing), the roles anon / authenticated / service_role, and the GUCs that
-- PostgREST and Realtime set. Everything is schema-qualified; nothing depends on search_path.
--
--   tests.create_user(email, app_metadata, user_metadata) → uuid   (the profiles trigger fires)
--   tests.get_user_id(email) → uuid
--   tests.jwt_claims(user_id) → jsonb                            (a real user access token's claims)
--   tests.authenticate_as(user_id)                               (role authenticated + full claims)
--   tests.authenticate_as_anon()                                 (role anon + the anon key's claims)
--   tests.authenticate_as_service_role()                         (role service_role + {"role":"service_role"})
--   tests.clear_authentication()                                 (back to the session user, no claims)
--   tests.create_team(label) → (workspace_id, owner_id, editor_id, viewer_id)
--                                                                (a workspace with one user per role)
--   tests.affected_rows(statement) → bigint                      (rows an INSERT/UPDATE/DELETE touched,
--                                                                 under the current role and RLS)
--   tests.realtime_can_read(claims, topic, extension) → boolean  (Realtime's join check, as the caller)
--   tests.realtime_can_write(claims, topic, extension[, event, payload]) → boolean
--                                                                (Realtime's write probe, or one message)
--
-- create_user, get_user_id and jwt_claims read or write auth.users, so they switch back to the
-- session user first (and leave you there); call authenticate_* again afterwards.
--
-- The authenticate_* helpers are SECURITY INVOKER on purpose: SET ROLE is refused inside SECURITY
-- DEFINER functions, and a function-level SET clause would undo the role change on exit. They use
-- transaction-local settings, like PostgREST does per request, so a rollback forgets them.

begin;
set local client_min_messages = warning;

create extension if not exists pgtap with schema extensions;

select plan(16);

create schema if not exists tests;
comment on schema tests is 'pgTAP helpers of Tekton Studio (supabase/tests/database). Test databases only.';
grant usage on schema tests to anon, authenticated, service_role;

-- Back to the session user (`postgres`, which runs the tests; no superuser) with no JWT claims at all.
create or replace function tests.clear_authentication()
returns void
language plpgsql
as $$
begin
  reset role;
  perform set_config('request.jwt.claims', '', true);
  -- Realtime (and older PostgREST) also set these; auth.uid() and auth.role() read them first.
  perform set_config('request.jwt.claim.sub', '', true);
  perform set_config('request.jwt.claim.role', '', true);
  perform set_config('request.jwt.claim.email', '', true);
  perform set_config('request.jwt.claim', '', true);
  perform set_config('realtime.topic', '', true);
end
$$;
comment on function tests.clear_authentication() is 'Back to the session user with no JWT claims.';

create or replace function tests.create_user(
  email text,
  app_metadata jsonb default '{}'::jsonb,
  user_metadata jsonb default '{}'::jsonb
)
returns uuid
language plpgsql
as $$
declare
  user_id uuid := gen_random_uuid();
begin
  perform tests.clear_authentication();
  insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                          raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
  values ('00000000-0000-0000-0000-000000000000', user_id, 'authenticated', 'authenticated', email, '',
          now(), '{"provider": "email", "providers": ["email"]}'::jsonb || coalesce(app_metadata, '{}'::jsonb),
          coalesce(user_metadata, '{}'::jsonb), now(), now());
  return user_id;
end
$$;
comment on function tests.create_user(text, jsonb, jsonb) is
  'Creates a confirmed e-mail user in auth.users (the profiles trigger fires) and returns its id. app_metadata is merged over {"provider":"email","providers":["email"]}.';

create or replace function tests.get_user_id(email text)
returns uuid
language plpgsql
as $$
declare
  found uuid;
begin
  perform tests.clear_authentication();
  select u.id into found from auth.users u where u.email = get_user_id.email;
  if found is null then
    raise exception 'tests.get_user_id: no user with e-mail %', email;
  end if;
  return found;
end
$$;
comment on function tests.get_user_id(text) is 'The id of the auth user with this e-mail address.';

-- The claims GoTrue puts into a user's access token (docs/PLATFORM.md, "Access-token claims"),
-- built from auth.users.
create or replace function tests.jwt_claims(user_id uuid)
returns jsonb
language plpgsql
as $$
declare
  u jsonb;
  issued bigint := extract(epoch from now())::bigint;
begin
  perform tests.clear_authentication();
  select to_jsonb(x) into u from auth.users x where x.id = user_id;
  if u is null then
    raise exception 'tests.jwt_claims: no user %', user_id;
  end if;
  return jsonb_build_object(
    'iss', 'http://127.0.0.1:54321/auth/v1',
    'sub', user_id,
    'aud', 'authenticated',
    'exp', issued + 3600,
    'iat', issued,
    'email', coalesce(u ->> 'email', ''),
    'phone', coalesce(u ->> 'phone', ''),
    'app_metadata', coalesce(u -> 'raw_app_meta_data', '{}'::jsonb),
    'user_metadata', coalesce(u -> 'raw_user_meta_data', '{}'::jsonb),
    'role', 'authenticated',
    'aal', 'aal1',
    'amr', jsonb_build_array(jsonb_build_object('method', 'password', 'timestamp', issued)),
    'session_id', gen_random_uuid(),
    'is_anonymous', coalesce((u ->> 'is_anonymous')::boolean, false));
end
$$;
comment on function tests.jwt_claims(uuid) is 'The claims of an access token Supabase Auth would issue to this user now.';

create or replace function tests.authenticate_as(user_id uuid)
returns void
language plpgsql
as $$
declare
  claims jsonb := tests.jwt_claims(user_id); -- read as the session user, before the switch
begin
  perform set_config('request.jwt.claims', claims::text, true);
  set local role authenticated;
end
$$;
comment on function tests.authenticate_as(uuid) is
  'Acts as this user for the rest of the transaction: role authenticated and the full claims of a real access token in request.jwt.claims.';

create or replace function tests.authenticate_as_anon()
returns void
language plpgsql
as $$
begin
  perform tests.clear_authentication();
  perform set_config('request.jwt.claims',
    jsonb_build_object('iss', 'supabase-demo', 'role', 'anon', 'exp', 1983812996)::text, true);
  set local role anon;
end
$$;
comment on function tests.authenticate_as_anon() is 'Acts as the anon key (role anon) for the rest of the transaction.';

create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
as $$
begin
  perform tests.clear_authentication();
  perform set_config('request.jwt.claims', '{"role": "service_role"}', true);
  set local role service_role;
end
$$;
comment on function tests.authenticate_as_service_role() is 'Acts as the service role for the rest of the transaction.';

-- A workspace "Team <label>" with an owner, an editor and a viewer (users <role>-<label>@test.local).
create or replace function tests.create_team(label text)
returns table (workspace_id uuid, owner_id uuid, editor_id uuid, viewer_id uuid)
language plpgsql
as $$
begin
  owner_id := tests.create_user(format('owner-%s@test.local', label));
  editor_id := tests.create_user(format('editor-%s@test.local', label));
  viewer_id := tests.create_user(format('viewer-%s@test.local', label));
  insert into public.workspaces (name, created_by) values ('Team ' || label, owner_id) returning id into workspace_id;
  insert into public.workspace_members (workspace_id, user_id, role, added_by)
  values (create_team.workspace_id, owner_id, 'owner', owner_id),
         (create_team.workspace_id, editor_id, 'editor', owner_id),
         (create_team.workspace_id, viewer_id, 'viewer', owner_id);
  return next;
end
$$;
comment on function tests.create_team(text) is
  'Creates workspace "Team <label>" with three new users: owner-<label>@, editor-<label>@ and viewer-<label>@test.local, one per role.';

-- How many rows a statement really touched under the caller's RLS (0 = silently filtered).
create or replace function tests.affected_rows(statement text)
returns bigint
language plpgsql
as $$
declare
  n bigint;
begin
  execute statement;
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function tests.affected_rows(text) is
  'Runs an INSERT, UPDATE or DELETE as the current role and returns how many rows it touched (0 when RLS filtered them all).';

-- Realtime's read check (at join and at each new token): is a probe row for (topic, extension) visible to a caller with these claims?
create or replace function tests.realtime_can_read(claims jsonb, topic text, extension text)
returns boolean
language plpgsql
as $$
declare
  probe uuid;
  seen boolean;
begin
  perform tests.clear_authentication();
  insert into realtime.messages (topic, extension) values (topic, extension) returning id into probe;
  perform set_config('request.jwt.claims', claims::text, true);
  perform set_config('request.jwt.claim.sub', coalesce(claims ->> 'sub', ''), true);
  perform set_config('request.jwt.claim.role', claims ->> 'role', true);
  perform set_config('realtime.topic', topic, true);
  perform set_config('role', claims ->> 'role', true);
  select exists (select 1 from realtime.messages m where m.id = probe) into seen;
  perform tests.clear_authentication();
  delete from realtime.messages m where m.id = probe;
  return seen;
end
$$;
comment on function tests.realtime_can_read(jsonb, text, text) is
  'Whether a caller with these JWT claims may read the private Realtime topic for this extension (broadcast or presence), checked the way Realtime checks a join.';

-- Write check: does an INSERT of (topic, extension) pass RLS for a caller with these claims? That is
-- Realtime's probe (once per channel, before the first send): no event, no payload. With `event`
-- and `payload`, the row a client would write to send one message itself.
create or replace function tests.realtime_can_write(claims jsonb, topic text, extension text, event text default null, payload jsonb default null)
returns boolean
language plpgsql
as $$
declare
  allowed boolean;
begin
  perform tests.clear_authentication();
  perform set_config('request.jwt.claims', claims::text, true);
  perform set_config('request.jwt.claim.sub', coalesce(claims ->> 'sub', ''), true);
  perform set_config('request.jwt.claim.role', claims ->> 'role', true);
  perform set_config('realtime.topic', topic, true);
  perform set_config('role', claims ->> 'role', true);
  begin
    insert into realtime.messages (topic, extension, event, payload, private) values (topic, extension, event, payload, true);
    allowed := true;
    raise exception 'probe written' using errcode = 'P0001'; -- undo the probe, as Realtime does
  exception
    when insufficient_privilege then allowed := false;
    when raise_exception then null;
  end;
  perform tests.clear_authentication();
  return allowed;
end
$$;
comment on function tests.realtime_can_write(jsonb, text, text, text, jsonb) is
  'Whether a caller with these JWT claims may write on the private Realtime topic for this extension (Realtime''s probe), or with event and payload, write that message row itself.';

grant execute on all functions in schema tests to anon, authenticated, service_role;

select has_schema('tests', 'the tests schema exists');
select has_function('tests', 'create_user', array['text', 'jsonb', 'jsonb'], 'tests.create_user(email, app_metadata, user_metadata)');
select has_function('tests', 'get_user_id', array['text'], 'tests.get_user_id(email)');
select has_function('tests', 'jwt_claims', array['uuid'], 'tests.jwt_claims(user_id)');
select has_function('tests', 'authenticate_as', array['uuid'], 'tests.authenticate_as(user_id)');
select has_function('tests', 'authenticate_as_anon', array[]::name[], 'tests.authenticate_as_anon()');
select has_function('tests', 'authenticate_as_service_role', array[]::name[], 'tests.authenticate_as_service_role()');
select has_function('tests', 'clear_authentication', array[]::name[], 'tests.clear_authentication()');
select has_function('tests', 'create_team', array['text'], 'tests.create_team(label)');
select has_function('tests', 'affected_rows', array['text'], 'tests.affected_rows(statement)');
select has_function('tests', 'realtime_can_read', array['jsonb', 'text', 'text'], 'tests.realtime_can_read(claims, topic, extension)');
select has_function('tests', 'realtime_can_write', array['jsonb', 'text', 'text', 'text', 'jsonb'], 'tests.realtime_can_write(claims, topic, extension, event, payload)');
-- SET ROLE does not work inside SECURITY DEFINER functions, and a SET clause would undo it on exit.
select isnt_definer('tests', 'authenticate_as', array['uuid'], 'authenticate_as is SECURITY INVOKER');
select is_empty(
  $$ select p.proname from pg_proc p where p.pronamespace = 'tests'::regnamespace and p.proconfig is not null $$,
  'no helper has a SET clause (it would undo the role switch on return)');
select ok(has_function_privilege('authenticated', 'tests.clear_authentication()', 'execute'),
  'acting users can switch back');
select ok(has_schema_privilege('anon', 'tests', 'usage'), 'the API roles may use the tests schema');

select * from finish();
commit;
