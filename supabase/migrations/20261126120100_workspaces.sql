-- Workspaces (teams) and their members with roles: viewers read, editors also write brand DNA,
-- owners also delete and manage members.
--
-- Errors raised by this project's functions and triggers use SQLSTATEs of class TK, which the API
-- maps to stable error codes: TK001 last owner, TK002 no such user, TK003 immutable column,
-- TK004 no such version.

create type public.workspace_role as enum ('viewer', 'editor', 'owner');
comment on type public.workspace_role is
  'Role of a member in a workspace, in rising order of rights: viewer < editor < owner.';

create table public.workspaces (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint workspaces_name_length check (char_length(name) <= 120 and btrim(name) <> '')
);
comment on table public.workspaces is
  'A team that owns brand DNA and custom presets. Create one with public.create_workspace(); its members and their roles are in workspace_members.';
comment on column public.workspaces.id is 'Workspace id.';
comment on column public.workspaces.name is 'Display name (1–120 characters).';
comment on column public.workspaces.created_by is 'auth.users id of the creator (kept as history; no foreign key, so deleting the user keeps it).';
comment on column public.workspaces.created_at is 'When the workspace was created.';
comment on column public.workspaces.updated_at is 'When the workspace was last renamed.';

create trigger workspaces_touch_updated_at
  before update on public.workspaces
  for each row execute function private.touch_updated_at();

create table public.workspace_members (
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.workspace_role not null default 'viewer',
  added_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (workspace_id, user_id)
);
comment on table public.workspace_members is
  'Who belongs to which workspace and with which role. Owners manage this table; a workspace always keeps at least one owner.';
comment on column public.workspace_members.workspace_id is 'The workspace.';
comment on column public.workspace_members.user_id is 'The member (auth.users id).';
comment on column public.workspace_members.role is 'viewer: reads; editor: also creates and edits brand DNA; owner: also deletes and manages members.';
comment on column public.workspace_members.added_by is 'auth.users id of whoever added the member (history only).';
comment on column public.workspace_members.created_at is 'When the member joined.';
comment on column public.workspace_members.updated_at is 'When the member''s role last changed.';

-- Policies filter on user_id (the primary key already covers workspace_id first).
create index workspace_members_user_id_idx on public.workspace_members (user_id);

create trigger workspace_members_touch_updated_at
  before update on public.workspace_members
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Membership helpers used by every policy. SECURITY DEFINER so that a policy on
-- workspace_members can ask about workspace_members without recursing into itself.
-- ---------------------------------------------------------------------------------------------

create or replace function private.member_workspace_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.workspace_id from public.workspace_members m where m.user_id = (select auth.uid())
$$;
comment on function private.member_workspace_ids() is
  'Workspaces the caller belongs to. Policies use `workspace_id = any (array(select private.member_workspace_ids()))`: the array is computed once per statement (an InitPlan) and the index on the column does the filtering (`in (select …)` would become a hashed subplan checked row by row over a full scan).';

create or replace function private.has_workspace_role(target uuid, minimum public.workspace_role)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.workspace_members m
    where m.workspace_id = target and m.user_id = (select auth.uid()) and m.role >= minimum
  )
$$;
comment on function private.has_workspace_role(uuid, public.workspace_role) is
  'True when the caller is a member of the workspace with at least the given role.';

grant execute on function private.member_workspace_ids(), private.has_workspace_role(uuid, public.workspace_role)
  to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- A workspace never loses its last owner (unless the workspace or the user account is deleted).
-- ---------------------------------------------------------------------------------------------

create or replace function private.keep_last_owner()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.role <> 'owner' or (tg_op = 'UPDATE' and new.role = 'owner' and new.workspace_id = old.workspace_id) then
    return coalesce(new, old);
  end if;
  -- Cascades from deleting the workspace or the user account are fine.
  if not exists (select 1 from public.workspaces w where w.id = old.workspace_id)
     or not exists (select 1 from auth.users u where u.id = old.user_id) then
    return coalesce(new, old);
  end if;
  -- Serialise owner changes of one workspace so two owners cannot demote each other at once.
  perform 1 from public.workspaces w where w.id = old.workspace_id for update;
  if not exists (
    select 1 from public.workspace_members m
    where m.workspace_id = old.workspace_id and m.role = 'owner' and m.user_id <> old.user_id
  ) then
    raise exception 'a workspace must keep at least one owner'
      using errcode = 'TK001', hint = 'Make another member an owner first.';
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.keep_last_owner() is
  'BEFORE UPDATE/DELETE trigger on workspace_members: refuses to remove or demote the last owner.';

create trigger workspace_members_keep_last_owner
  before update or delete on public.workspace_members
  for each row execute function private.keep_last_owner();

-- Members cannot be moved between workspaces or users by an UPDATE; delete and add instead.
create or replace function private.freeze_member_identity()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.workspace_id <> old.workspace_id or new.user_id <> old.user_id then
    raise exception 'workspace_id and user_id of a membership cannot change'
      using errcode = 'TK003', hint = 'Remove the member and add them again.';
  end if;
  return new;
end
$$;
comment on function private.freeze_member_identity() is
  'BEFORE UPDATE trigger on workspace_members: only the role of a membership may change.';

create trigger workspace_members_freeze_identity
  before update on public.workspace_members
  for each row execute function private.freeze_member_identity();

-- ---------------------------------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------------------------------

alter table public.workspaces enable row level security;
alter table public.workspace_members enable row level security;

create policy "members read their workspaces" on public.workspaces
  for select to authenticated
  using (id = any (array(select private.member_workspace_ids())));

create policy "owners rename their workspaces" on public.workspaces
  for update to authenticated
  using ((select private.has_workspace_role(id, 'owner')))
  with check ((select private.has_workspace_role(id, 'owner')));

create policy "owners delete their workspaces" on public.workspaces
  for delete to authenticated
  using ((select private.has_workspace_role(id, 'owner')));

-- No INSERT policy: workspaces are created through public.create_workspace(), which also makes
-- the creator the first owner in the same statement.

create policy "members read the members of their workspaces" on public.workspace_members
  for select to authenticated
  using (workspace_id = any (array(select private.member_workspace_ids())));

create policy "owners add members" on public.workspace_members
  for insert to authenticated
  with check ((select private.has_workspace_role(workspace_id, 'owner')));

create policy "owners change roles" on public.workspace_members
  for update to authenticated
  using ((select private.has_workspace_role(workspace_id, 'owner')))
  with check ((select private.has_workspace_role(workspace_id, 'owner')));

create policy "owners remove members and members leave" on public.workspace_members
  for delete to authenticated
  using (user_id = (select auth.uid()) or (select private.has_workspace_role(workspace_id, 'owner')));

-- Profiles: your own, and those of people who share a workspace with you.
create policy "people read their own and their teammates' profiles" on public.profiles
  for select to authenticated
  using (
    id = (select auth.uid())
    or id in (
      select m.user_id from public.workspace_members m
      where m.workspace_id = any (array(select private.member_workspace_ids()))
    )
  );

create policy "people edit their own profile" on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Functions the API (and Studio users) call
-- ---------------------------------------------------------------------------------------------

create or replace function public.create_workspace(workspace_name text)
returns setof public.workspaces
language plpgsql
security definer
set search_path = ''
as $$
declare
  creator uuid := (select auth.uid());
  created public.workspaces;
begin
  if creator is null then
    raise exception 'only signed-in users can create workspaces' using errcode = '42501';
  end if;
  insert into public.workspaces (name, created_by) values (workspace_name, creator) returning * into created;
  insert into public.workspace_members (workspace_id, user_id, role, added_by)
  values (created.id, creator, 'owner', creator);
  return next created;
end
$$;
comment on function public.create_workspace(text) is
  'Creates a workspace and makes the caller its first owner. The only way for users to create workspaces.';
revoke execute on function public.create_workspace(text) from public, anon;
grant execute on function public.create_workspace(text) to authenticated, service_role;

create or replace function public.add_workspace_member(
  target_workspace uuid,
  member_email text,
  member_role public.workspace_role default 'viewer'
)
returns setof public.workspace_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  member uuid;
begin
  -- Check the right before looking anyone up, so that non-owners cannot probe which e-mail
  -- addresses have accounts.
  if not ((select private.has_workspace_role(target_workspace, 'owner')) or (select private.is_service())) then
    raise exception 'only owners of the workspace can add members' using errcode = '42501';
  end if;
  select u.id into member from auth.users u
  where lower(u.email) = lower(btrim(member_email)) and u.deleted_at is null;
  if member is null then
    raise exception 'no user with that e-mail address' using errcode = 'TK002';
  end if;
  return query
    insert into public.workspace_members (workspace_id, user_id, role, added_by)
    values (target_workspace, member, member_role, (select auth.uid()))
    returning *;
end
$$;
comment on function public.add_workspace_member(uuid, text, public.workspace_role) is
  'Adds the user with this e-mail address to the workspace with the given role. Callable by owners of that workspace (and the service role).';
revoke execute on function public.add_workspace_member(uuid, text, public.workspace_role) from public, anon;
grant execute on function public.add_workspace_member(uuid, text, public.workspace_role) to authenticated, service_role;

revoke execute on all functions in schema private from public;
