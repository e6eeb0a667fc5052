-- private.is_service() asked `current_user`, which inside a SECURITY DEFINER function is the
-- function's owner (postgres), not the caller. A caller that set a role but no JWT claims therefore
-- counted as an admin session inside search_presets() and add_workspace_member(): anon saw other
-- users' personal presets, and the authenticated role could add anyone to any workspace.
--
-- The role a caller acts as survives SECURITY DEFINER in the `role` setting (what SET ROLE and
-- PostgREST's set_config('role', …) write; 'none' when no role was set, and then the login role,
-- session_user, is the caller). The service role is that role being service_role; an admin session
-- (migrations, seed, Studio's SQL editor) is postgres or supabase_admin acting as itself, with no
-- claims or claims that say service_role. JWT claims alone never make a caller trusted: any role
-- is the role it was given, whatever its claims say.

create or replace function private.is_service()
returns boolean
language sql
stable
set search_path = ''
as $$
  select caller.role = 'service_role'
      or (caller.role in ('postgres', 'supabase_admin')
          and coalesce((select auth.jwt()) ->> 'role', 'service_role') = 'service_role')
    from (select coalesce(nullif(current_setting('role'), 'none'), session_user::text) as role) as caller
$$;
comment on function private.is_service() is
  'True for the service role and for admin sessions (postgres or supabase_admin acting as themselves, without claims or with service_role claims: migrations, seed, Studio). Reads the role setting, which SECURITY DEFINER leaves alone, not current_user, which it changes to the function''s owner.';

revoke execute on all functions in schema private from public;
grant execute on function private.is_service() to anon, authenticated, service_role;
