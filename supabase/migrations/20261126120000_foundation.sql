-- Foundation: the private schema for helpers and internal tables, shared trigger functions, and
-- one profile per Supabase Auth user.

create schema if not exists private;
comment on schema private is
  'Helpers, trigger functions and internal tables of Tekton Studio. Not exposed through the Data API.';

-- Policies call the helpers in here, so the API roles may use the schema; tables in it stay closed.
-- Functions get EXECUTE for PUBLIC by default (a per-schema default privilege cannot take that
-- away), so every migration that creates functions here ends by revoking it; the helpers that
-- policies, checks and generated columns call are then granted to the API roles by name.
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;

create extension if not exists pg_trgm with schema extensions;
create extension if not exists cube with schema extensions;

-- ---------------------------------------------------------------------------------------------
-- Shared helpers
-- ---------------------------------------------------------------------------------------------

create or replace function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function private.touch_updated_at() is 'BEFORE UPDATE trigger: keeps updated_at current.';

-- Platform admins carry app_metadata.role = 'admin' in their JWT; only the service role can set it.
create or replace function private.is_admin()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((select auth.jwt()) -> 'app_metadata' ->> 'role', '') = 'admin'
$$;
comment on function private.is_admin() is
  'True when the caller''s JWT says app_metadata.role = admin (a platform admin).';

-- True for the service role (trusted back-end code) and for superuser sessions without JWT claims
-- (migrations, seed, the SQL editor).
create or replace function private.is_service()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((select auth.jwt()) ->> 'role', '') = 'service_role'
      or (current_user in ('postgres', 'supabase_admin') and (select auth.jwt()) is null)
$$;
comment on function private.is_service() is
  'True for the service role and for superuser sessions that carry no JWT (migrations, seed, SQL editor).';

grant execute on function private.is_admin(), private.is_service() to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- profiles: one per auth user
-- ---------------------------------------------------------------------------------------------

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  display_name text not null,
  avatar_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint profiles_display_name_length check (char_length(btrim(display_name)) between 1 and 120),
  constraint profiles_avatar_url_format check (avatar_url is null or (avatar_url ~ '^https?://' and char_length(avatar_url) <= 2048))
);
comment on table public.profiles is
  'Public face of each Supabase Auth user, created by a trigger on auth.users. Visible to the user and to people who share a workspace with them.';
comment on column public.profiles.id is 'The auth.users id of this person.';
comment on column public.profiles.email is 'E-mail address, copied from auth.users and kept in sync.';
comment on column public.profiles.display_name is 'Name shown to teammates (1–120 characters); defaults to the part of the e-mail before @.';
comment on column public.profiles.avatar_url is 'Optional http(s) URL of an avatar image.';
comment on column public.profiles.created_at is 'When the profile was created (the user signed up).';
comment on column public.profiles.updated_at is 'When the profile last changed.';

create trigger profiles_touch_updated_at
  before update on public.profiles
  for each row execute function private.touch_updated_at();

create or replace function private.sync_profile_from_auth_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  meta jsonb := coalesce(new.raw_user_meta_data, '{}'::jsonb);
  fallback text := coalesce(nullif(split_part(coalesce(new.email, ''), '@', 1), ''), 'user');
  name text := left(btrim(coalesce(meta ->> 'display_name', meta ->> 'full_name', meta ->> 'name', '')), 120);
begin
  if tg_op = 'INSERT' then
    insert into public.profiles (id, email, display_name, avatar_url)
    values (new.id, new.email, coalesce(nullif(name, ''), left(fallback, 120)),
            case when meta ->> 'avatar_url' ~ '^https?://' then left(meta ->> 'avatar_url', 2048) end);
  elsif new.email is distinct from old.email then
    update public.profiles set email = new.email where id = new.id;
  end if;
  return new;
end
$$;
comment on function private.sync_profile_from_auth_user() is
  'AFTER INSERT/UPDATE trigger on auth.users: creates the profile of a new user and keeps its e-mail in sync.';

create trigger on_auth_user_changed
  after insert or update of email on auth.users
  for each row execute function private.sync_profile_from_auth_user();

alter table public.profiles enable row level security;

revoke execute on all functions in schema private from public;
