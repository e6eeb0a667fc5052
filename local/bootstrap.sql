-- Platform bootstrap for the Docker-less local stack: what a new hosted Supabase project has before
-- the project's own migrations run, as strict as hosted (docs/PLATFORM.md, "The local database").
-- It stands in for the Supabase Postgres image's init scripts and for the tables and functions that
-- Supabase Auth and Supabase Realtime create when they first connect.
--
-- Run by `supabase_admin`, the cluster's superuser, never by `postgres`. Idempotent: every start
-- runs it again and it converges. The harness skips it on a real Supabase database (one that has
-- `auth.schema_migrations`, which Supabase Auth creates).

set client_min_messages = warning;

-- ---------------------------------------------------------------------------------------------
-- Roles. `postgres` is what the CLI, migrations, the SQL editor and the API function log in as:
-- no superuser, but BYPASSRLS, CREATEROLE and CREATEDB. The API roles inherit; `authenticator`
-- (PostgREST's login) does not. The services log in as their own admin roles.
-- ---------------------------------------------------------------------------------------------
do $$
declare
  r record;
begin
  for r in
    select * from (values
      ('postgres',                'login nosuperuser createdb createrole replication bypassrls'),
      ('anon',                    'nologin inherit nobypassrls'),
      ('authenticated',           'nologin inherit nobypassrls'),
      ('service_role',            'nologin inherit bypassrls'),
      ('authenticator',           'login noinherit nosuperuser'),
      ('supabase_auth_admin',     'login noinherit nocreaterole'),
      ('supabase_realtime_admin', 'nologin noinherit noreplication')
    ) as t(name, options)
  loop
    if not exists (select 1 from pg_roles where rolname = r.name) then
      execute format('create role %I', r.name);
    end if;
    execute format('alter role %I %s', r.name, r.options);
  end loop;
  -- The login roles share the password of the database URL (local/db.ts sets it), as the roles of
  -- `supabase start` share its database password.
  execute format('alter role postgres password %L', current_setting('bootstrap.password'));
  execute format('alter role supabase_auth_admin password %L', current_setting('bootstrap.password'));
end
$$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres with admin option;
grant pg_read_all_data, pg_signal_backend, pg_monitor to postgres;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role postgres set search_path = "$user", public, extensions;

-- The project database belongs to postgres, so the `public` schema (owned by pg_database_owner)
-- does too; Supabase Auth may create schemas of its own.
do $$
begin
  execute format('alter database %I owner to postgres', current_database());
  execute format('grant create on database %I to supabase_auth_admin', current_database());
end
$$;

-- Postgres Changes' publication: empty, owned by postgres (tables are added by the project).
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;
alter publication supabase_realtime owner to postgres;

-- ---------------------------------------------------------------------------------------------
-- extensions: only what every Supabase project has preinstalled. Anything else (pg_trgm, cube…)
-- is the project's own `create extension`, which must be in its migrations.
-- ---------------------------------------------------------------------------------------------
create schema if not exists extensions authorization postgres;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;
grant usage on schema extensions to anon, authenticated, service_role;
grant all on all tables in schema extensions to postgres with grant option;
grant all on all routines in schema extensions to postgres with grant option;
grant all on all sequences in schema extensions to postgres with grant option;
-- For objects that `create extension` makes as the bootstrap superuser later on.
alter default privileges in schema extensions grant all on tables to postgres with grant option;
alter default privileges in schema extensions grant all on routines to postgres with grant option;
alter default privileges in schema extensions grant all on sequences to postgres with grant option;

grant usage on schema public to anon, authenticated, service_role;
-- No default privileges for the API roles anywhere: every table, view, sequence and function the
-- project gives them is granted by its migrations (`[api] auto_expose_new_tables = false`).

-- ---------------------------------------------------------------------------------------------
-- auth: schema of supabase_admin, tables of supabase_auth_admin (Supabase Auth logs in as it).
-- postgres may only use the schema; it has every privilege on the tables (so it may read users,
-- reference them and put triggers on them) but cannot create anything in the schema.
-- ---------------------------------------------------------------------------------------------
create schema if not exists auth authorization supabase_admin;
grant usage on schema auth to postgres, anon, authenticated, service_role;
grant all on schema auth to supabase_auth_admin;
alter default privileges for role supabase_auth_admin in schema auth grant all on tables to postgres;
alter default privileges for role supabase_auth_admin in schema auth grant all on sequences to postgres;
alter default privileges for role supabase_auth_admin in schema auth grant all on routines to postgres;

do $$
begin
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'auth' and t.typname = 'aal_level') then
    create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
  end if;
end
$$;
alter type auth.aal_level owner to supabase_auth_admin;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255) default '',
  confirmation_sent_at timestamptz,
  recovery_token varchar(255) default '',
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255) default '',
  email_change varchar(255) default '',
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0 check (email_change_confirm_status between 0 and 2),
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
create unique index if not exists users_email_partial_key on auth.users (email) where is_sso_user = false;
create index if not exists users_instance_id_idx on auth.users (instance_id);
comment on table auth.users is 'Auth: stores user login data within a secure schema.';

create table if not exists auth.identities (
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid primary key default gen_random_uuid(),
  constraint identities_provider_id_provider_unique unique (provider_id, provider)
);
create index if not exists identities_user_id_idx on auth.identities (user_id);
comment on table auth.identities is 'Auth: stores identities associated to a user.';

create table if not exists auth.sessions (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz,
  updated_at timestamptz,
  factor_id uuid,
  aal auth.aal_level,
  not_after timestamptz,
  refreshed_at timestamp,
  user_agent text,
  ip inet,
  tag text,
  oauth_client_id uuid,
  scopes text,
  refresh_token_hmac_key text,
  refresh_token_counter bigint
);
create index if not exists sessions_user_id_idx on auth.sessions (user_id);
comment on table auth.sessions is 'Auth: stores session data associated to a user.';

create table if not exists auth.refresh_tokens (
  instance_id uuid,
  id bigserial primary key,
  token varchar(255) unique,
  user_id varchar(255),
  revoked boolean,
  created_at timestamptz,
  updated_at timestamptz,
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade
);
create index if not exists refresh_tokens_parent_idx on auth.refresh_tokens (parent);
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);
comment on table auth.refresh_tokens is 'Auth: store of tokens used to refresh JWT tokens once they expire.';

create table if not exists auth.mfa_amr_claims (
  session_id uuid not null references auth.sessions (id) on delete cascade,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  authentication_method text not null,
  id uuid primary key,
  constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method)
);
comment on table auth.mfa_amr_claims is 'auth: stores authenticator method reference claims for multi factor authentication';

alter table auth.users owner to supabase_auth_admin;
alter table auth.identities owner to supabase_auth_admin;
alter table auth.sessions owner to supabase_auth_admin;
alter table auth.refresh_tokens owner to supabase_auth_admin;
alter table auth.mfa_amr_claims owner to supabase_auth_admin;

-- Supabase Auth turns RLS on for all of its tables (with no policies: only it and BYPASSRLS roles
-- see rows).
alter table auth.users enable row level security;
alter table auth.identities enable row level security;
alter table auth.sessions enable row level security;
alter table auth.refresh_tokens enable row level security;
alter table auth.mfa_amr_claims enable row level security;

grant all on all tables in schema auth to postgres;
grant select on all tables in schema auth to postgres with grant option;
grant all on all sequences in schema auth to postgres;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to postgres, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- realtime: schema of supabase_admin (Realtime logs in as it and keeps the partitions of
-- realtime.messages itself), objects of supabase_realtime_admin. postgres may only use the schema.
-- ---------------------------------------------------------------------------------------------
create schema if not exists realtime authorization supabase_admin;
grant usage on schema realtime to postgres with grant option;
grant usage on schema realtime to anon, authenticated, service_role;
grant all on schema realtime to supabase_realtime_admin;
-- What Realtime (supabase_admin) creates here, such as the daily partitions, postgres may use.
alter default privileges for role supabase_admin in schema realtime grant all on tables to postgres;
alter default privileges for role supabase_admin in schema realtime grant all on sequences to postgres;
alter default privileges for role supabase_admin in schema realtime grant all on routines to postgres;

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id uuid not null default gen_random_uuid(),
  binary_payload bytea,
  constraint messages_pkey primary key (id, inserted_at),
  constraint messages_payload_exclusive check (payload is null or binary_payload is null)
) partition by range (inserted_at);
create index if not exists messages_inserted_at_topic_index
  on realtime.messages (inserted_at desc, topic) where extension = 'broadcast' and private is true;
alter table realtime.messages owner to supabase_realtime_admin;
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to postgres, anon, authenticated, service_role;
-- The partitions (one a day) are created by the Realtime service when it starts and every hour.

create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid := gen_random_uuid();
  final_payload jsonb;
begin
  begin
    final_payload := case when payload ? 'id' then payload
                          else payload || jsonb_build_object('id', generated_id) end;
    perform set_config('realtime.topic', topic, true);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (generated_id, final_payload, event, topic, private, 'broadcast');
  exception when others then
    raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end
$$;

create or replace function realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW')
returns void
language plpgsql
as $$
declare
  row_data jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation not in ('INSERT', 'UPDATE', 'DELETE') then
    raise exception 'unsupported operation: %', operation;
  end if;
  row_data := jsonb_build_object(
    'old_record', case when old is null then null else to_jsonb(old) end,
    'record', case when new is null then null else to_jsonb(new) end,
    'operation', operation,
    'table', table_name,
    'schema', table_schema);
  perform realtime.send(row_data, event_name, topic_name);
end
$$;

alter function realtime.topic() owner to supabase_realtime_admin;
alter function realtime.send(jsonb, text, text, boolean) owner to supabase_realtime_admin;
alter function realtime.broadcast_changes(text, text, text, text, text, record, record, text)
  owner to supabase_realtime_admin;
grant execute on function realtime.topic(), realtime.send(jsonb, text, text, boolean),
  realtime.broadcast_changes(text, text, text, text, text, record, record, text)
  to postgres, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- supautils, emulated (docs/PLATFORM.md, "supautils, emulated"). Hosted projects load the
-- supautils extension, which lets postgres do a few things only a superuser or an owner may do.
-- Its C hook cannot be loaded here; this section grants the same, and nothing more.
--
-- 1. `privileged_role_allowed_configs`: a few superuser-only parameters postgres may set. Of
--    those, the ones plain Postgres has are granted the standard way.
-- ---------------------------------------------------------------------------------------------
grant set on parameter session_replication_role, track_io_timing to postgres;

-- ---------------------------------------------------------------------------------------------
-- 2. `policy_grants` and `drop_trigger_grants`: CREATE/ALTER/DROP/COMMENT ON POLICY and DROP
--    TRIGGER on the listed platform tables, which Postgres allows to their owners only. supautils
--    runs exactly those statements as the superuser. Here event triggers do the same: just before
--    such a statement by postgres, postgres becomes a member of the tables' owner roles; right
--    after it (or at rollback) the membership is gone, and a statement that touched anything but a
--    policy or trigger of a listed table is refused. Everything else on these tables (ALTER TABLE,
--    disabling RLS, dropping them) fails for postgres as it does on hosted.
-- ---------------------------------------------------------------------------------------------
create schema if not exists supautils_emulation authorization supabase_admin;
revoke all on schema supautils_emulation from public;
comment on schema supautils_emulation is
  'Local stack only: lets postgres manage policies and drop triggers on the platform tables hosted Supabase''s supautils extension lists (policy_grants, drop_trigger_grants). Not on hosted projects.';

-- The tables hosted lists in both settings (storage's tables aside: no Storage here).
create or replace function supautils_emulation.granted_tables() returns regclass[]
language sql stable set search_path = ''
as $$
  select array_remove(array[
    to_regclass('auth.audit_log_entries'), to_regclass('auth.identities'), to_regclass('auth.refresh_tokens'),
    to_regclass('auth.sessions'), to_regclass('auth.users'), to_regclass('realtime.messages')], null)
$$;

-- Whom the statement runs as: an event trigger function runs as its definer, but the `role`
-- setting still shows a SET ROLE of the session.
create or replace function supautils_emulation.invoker() returns text
language sql stable set search_path = ''
as $$
  select case when current_setting('role') = 'none' then session_user::text else current_setting('role') end
$$;

create or replace function supautils_emulation.lend_owner_roles() returns event_trigger
language plpgsql security definer set search_path = ''
as $$
declare
  owner_role text;
  lent text[] := '{}';
begin
  if supautils_emulation.invoker() <> 'postgres' then
    return;
  end if;
  for owner_role in
    select distinct pg_get_userbyid(c.relowner) from pg_class c where c.oid = any (supautils_emulation.granted_tables())
  loop
    if not pg_has_role('postgres', owner_role, 'usage') then
      execute format('grant %I to postgres', owner_role);
      lent := lent || owner_role;
    end if;
  end loop;
  perform set_config('supautils_emulation.lent', array_to_string(lent, ','), true);
end
$$;

-- Refuses what supautils would not have allowed: a policy or trigger of another table that only
-- the lent owner roles may touch, or a COMMENT on anything but a policy of such a table.
create or replace function supautils_emulation.check_object(classid oid, objid oid, object_type text, table_oid oid)
returns void
language plpgsql stable set search_path = ''
as $$
declare
  lent text[] := string_to_array(nullif(current_setting('supautils_emulation.lent', true), ''), ',');
  owner_role text;
begin
  if lent is null then
    return;
  end if;
  if object_type in ('policy', 'trigger') then
    if table_oid = any (supautils_emulation.granted_tables()) then
      return;
    end if;
    select pg_get_userbyid(c.relowner) into owner_role from pg_class c where c.oid = table_oid;
  elsif classid = 'pg_catalog.pg_class'::regclass then
    select pg_get_userbyid(c.relowner) into owner_role from pg_class c where c.oid = objid;
  elsif classid = 'pg_catalog.pg_proc'::regclass then
    select pg_get_userbyid(p.proowner) into owner_role from pg_proc p where p.oid = objid;
  elsif classid = 'pg_catalog.pg_type'::regclass then
    select pg_get_userbyid(t.typowner) into owner_role from pg_type t where t.oid = objid;
  end if;
  if owner_role = any (lent) then
    raise exception 'permission denied: postgres may only manage policies and drop triggers of % (supautils)',
      array_to_string(supautils_emulation.granted_tables()::text[], ', ')
      using errcode = '42501';
  end if;
end
$$;

create or replace function supautils_emulation.check_dropped() returns event_trigger
language plpgsql security definer set search_path = ''
as $$
declare
  dropped record;
begin
  for dropped in select * from pg_event_trigger_dropped_objects() where object_type in ('policy', 'trigger') loop
    perform supautils_emulation.check_object(dropped.classid, dropped.objid, dropped.object_type,
      to_regclass(format('%I.%I', dropped.address_names[1], dropped.address_names[2])));
  end loop;
end
$$;

create or replace function supautils_emulation.return_owner_roles() returns event_trigger
language plpgsql security definer set search_path = ''
as $$
declare
  lent text := current_setting('supautils_emulation.lent', true);
  command record;
  owner_role text;
begin
  if coalesce(lent, '') = '' then
    return;
  end if;
  for command in select * from pg_event_trigger_ddl_commands() loop
    perform supautils_emulation.check_object(command.classid, command.objid, command.object_type,
      case when command.object_type = 'policy' then (select p.polrelid from pg_policy p where p.oid = command.objid) end);
  end loop;
  foreach owner_role in array string_to_array(lent, ',') loop
    execute format('revoke %I from postgres', owner_role);
  end loop;
  perform set_config('supautils_emulation.lent', '', true);
end
$$;

revoke all on all functions in schema supautils_emulation from public;

drop event trigger if exists supautils_emulation_lend;
drop event trigger if exists supautils_emulation_check_dropped;
drop event trigger if exists supautils_emulation_return;
create event trigger supautils_emulation_lend on ddl_command_start
  when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'COMMENT', 'DROP TRIGGER')
  execute function supautils_emulation.lend_owner_roles();
create event trigger supautils_emulation_check_dropped on sql_drop
  when tag in ('DROP POLICY', 'DROP TRIGGER')
  execute function supautils_emulation.check_dropped();
create event trigger supautils_emulation_return on ddl_command_end
  when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'COMMENT', 'DROP TRIGGER')
  execute function supautils_emulation.return_owner_roles();
