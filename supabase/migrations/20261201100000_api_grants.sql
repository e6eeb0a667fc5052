-- Explicit, least-privilege grants for the API roles (anon, authenticated, service_role).
--
-- Until now the project relied on Supabase's "default privileges for new entities" (config.toml
-- `[api] auto_expose_new_tables`), which give the API roles every privilege on whatever `postgres`
-- creates in `public`. With that off (new projects, and `supabase start` here) nothing is reachable
-- without a grant. So every object first loses whatever the defaults may have given, and then gets
-- exactly what its policies and callers need: the result is the same whether the defaults are on
-- or off. RLS still decides the rows; these grants decide which statements may even be tried.
-- A later migration that creates an object grants on it in the same migration.

grant usage on schema public to anon, authenticated, service_role;

revoke all on table public.profiles, public.workspaces, public.workspace_members, public.brand_dna,
  public.brand_dna_versions, public.presets
  from public, anon, authenticated, service_role;

-- Profiles are created by the trigger on auth.users; people read theirs and their teammates', and
-- edit their own name and avatar (e-mail follows auth.users, the id never changes).
grant select on public.profiles to authenticated;
grant update (display_name, avatar_url) on public.profiles to authenticated;

-- Workspaces are created by public.create_workspace(); owners rename and delete them.
grant select, delete on public.workspaces to authenticated;
grant update (name) on public.workspaces to authenticated;

-- Owners add, re-role and remove members; members read them and may leave.
grant select, insert, delete on public.workspace_members to authenticated;
grant update (role) on public.workspace_members to authenticated;

-- Editors write brand DNA (the trigger keeps identity columns fixed); owners delete.
grant select, insert, update, delete on public.brand_dna to authenticated;

-- History is written by the trigger only; members read it.
grant select on public.brand_dna_versions to authenticated;

-- Built-in presets are public; custom ones belong to a person or a workspace.
grant select on public.presets to anon, authenticated;
grant insert, update, delete on public.presets to authenticated;

-- The service role is trusted back-end code: it reads and writes every table (it bypasses RLS; it
-- alone may repair history). It cannot truncate anything.
grant select, insert, update, delete on public.profiles, public.workspaces, public.workspace_members,
  public.brand_dna, public.brand_dna_versions, public.presets
  to service_role;

-- Functions: EXECUTE is granted to PUBLIC by default on creation, so it is taken away and given
-- to the roles that call each function. The trigger functions need no EXECUTE for anyone.
revoke execute on function public.search_presets(text, text[], text, double precision[], double precision[],
    double precision[], text, double precision, text, uuid, integer),
  public.preset_categories()
  from public;
grant execute on function public.search_presets(text, text[], text, double precision[], double precision[],
    double precision[], text, double precision, text, uuid, integer),
  public.preset_categories()
  to anon, authenticated, service_role;

revoke execute on function public.create_workspace(text),
  public.add_workspace_member(uuid, text, public.workspace_role),
  public.restore_brand_dna_version(uuid, integer)
  from public, anon;
grant execute on function public.create_workspace(text),
  public.add_workspace_member(uuid, text, public.workspace_role),
  public.restore_brand_dna_version(uuid, integer)
  to authenticated, service_role;

-- Helpers that policies, check constraints and generated columns call run as the caller.
revoke execute on all functions in schema private from public, anon, authenticated, service_role;
grant execute on function private.is_admin(), private.is_service(), private.member_workspace_ids(),
  private.has_workspace_role(uuid, public.workspace_role), private.workspace_of_topic(text),
  private.is_semver(text), private.semver_parts(text), private.valid_tags(text[]), private.tags_text(text[])
  to anon, authenticated, service_role;

-- Internal: the API's own connection (postgres) counts requests before it switches role.
revoke all on table private.rate_limit_buckets from public, anon, authenticated, service_role;
