-- Invitations: owners invite people by e-mail with a role; the invitee accepts (which makes the
-- membership) or declines. Nobody becomes a member of someone else's workspace without agreeing:
-- owners can no longer add members directly, only the service role can (admin tooling, Studio).
--
-- An invitation carries a secret link token, shown once to the inviter and stored only as its
-- SHA-256. Whoever holds the token may accept (people without an account sign up first); without
-- the token, the invitee accepts by the invitation's id once signed in with the invited, confirmed
-- e-mail address. The invitee hears about new and withdrawn invitations on the private Realtime
-- topic user:<their id>, which only they may read and only the database writes.
--
-- Errors raised here (SQLSTATE class TK, mapped by the API to stable codes): TK110 no such
-- invitation for the caller, TK111 expired, TK112 revoked, TK113 already accepted or declined,
-- TK114 already a member.

-- gen_random_bytes() for the tokens (preinstalled on Supabase, in the extensions schema).
create extension if not exists pgcrypto with schema extensions;

create table public.workspace_invitations (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  email text not null,
  role public.workspace_role not null default 'viewer',
  token_hash bytea not null,
  invited_by uuid,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by uuid,
  declined_at timestamptz,
  revoked_at timestamptz,
  revoked_by uuid,
  constraint workspace_invitations_email_format
    check (email = lower(btrim(email)) and char_length(email) <= 320 and email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  constraint workspace_invitations_token_hash_sha256 check (octet_length(token_hash) = 32),
  constraint workspace_invitations_token_hash_unique unique (token_hash),
  constraint workspace_invitations_expires_after_creation check (expires_at > created_at),
  constraint workspace_invitations_one_answer check (num_nonnulls(accepted_at, declined_at, revoked_at) <= 1),
  constraint workspace_invitations_accepted_by_whom check ((accepted_at is null) = (accepted_by is null))
);
comment on table public.workspace_invitations is
  'Invitations to join a workspace, made by its owners with public.create_workspace_invitation() and answered by the invitee with accept_/decline_workspace_invitation(). Pending = not accepted, declined or revoked, and not expired. Owners read their workspaces'' invitations, invitees those sent to their confirmed e-mail address; only the functions write.';
comment on column public.workspace_invitations.id is 'Invitation id; the invitee accepts or declines by it once signed in with the invited address.';
comment on column public.workspace_invitations.workspace_id is 'The workspace the invitation is to.';
comment on column public.workspace_invitations.email is 'Invited e-mail address, trimmed and lower-case. At most one open invitation per workspace and address: a new one revokes the old.';
comment on column public.workspace_invitations.role is 'Role the invitee gets on accepting.';
comment on column public.workspace_invitations.token_hash is 'SHA-256 of the secret link token (the token itself is shown once, to the inviter, and stored nowhere). Not readable by users.';
comment on column public.workspace_invitations.invited_by is 'auth.users id of the owner who invited (null when the service role did); becomes the membership''s added_by.';
comment on column public.workspace_invitations.created_at is 'When the invitation was made.';
comment on column public.workspace_invitations.expires_at is 'After this time the invitation can no longer be accepted (7 days after creation by default).';
comment on column public.workspace_invitations.accepted_at is 'When it was accepted (the membership was made then).';
comment on column public.workspace_invitations.accepted_by is 'auth.users id of who accepted it (with the link token, not necessarily the invited address).';
comment on column public.workspace_invitations.declined_at is 'When the invitee declined it.';
comment on column public.workspace_invitations.revoked_at is 'When an owner withdrew it, or a newer invitation to the same address replaced it.';
comment on column public.workspace_invitations.revoked_by is 'auth.users id of who withdrew or replaced it.';

-- Owners list by workspace, invitees by address (the columns the policies filter on).
create index workspace_invitations_workspace_id_idx on public.workspace_invitations (workspace_id, created_at);
create index workspace_invitations_email_idx on public.workspace_invitations (email);
create unique index workspace_invitations_one_open_per_address on public.workspace_invitations (workspace_id, email)
  where accepted_at is null and declined_at is null and revoked_at is null;

-- ---------------------------------------------------------------------------------------------
-- Row level security and privileges
-- ---------------------------------------------------------------------------------------------

-- The caller's e-mail address if Auth has confirmed it (lower-case), else null. SECURITY DEFINER to
-- read auth.users, so that a changed or unconfirmed address counts at once, whatever the token says.
create or replace function private.confirmed_email()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select lower(u.email) from auth.users u
  where u.id = (select auth.uid()) and u.email_confirmed_at is not null and u.deleted_at is null
$$;
comment on function private.confirmed_email() is
  'The signed-in caller''s e-mail address, lower-case, if Auth has confirmed it; null otherwise. Invitations to that address are theirs.';
grant execute on function private.confirmed_email() to authenticated, service_role;

alter table public.workspace_invitations enable row level security;

create policy "owners read their workspaces' invitations" on public.workspace_invitations
  for select to authenticated
  using ((select private.has_workspace_role(workspace_id, 'owner')));

create policy "invitees read the invitations to their confirmed address" on public.workspace_invitations
  for select to authenticated
  using (email = (select private.confirmed_email()));

-- No INSERT, UPDATE or DELETE policies: the functions below write. Users read every column but the
-- token hash; anon nothing.
revoke all on public.workspace_invitations from public, anon, authenticated, service_role;
grant select (id, workspace_id, email, role, invited_by, created_at, expires_at, accepted_at, accepted_by,
              declined_at, revoked_at, revoked_by)
  on public.workspace_invitations to authenticated;
grant select, insert, update, delete on public.workspace_invitations to service_role;

-- ---------------------------------------------------------------------------------------------
-- Nobody is made a member without agreeing: no more direct adds by owners
-- ---------------------------------------------------------------------------------------------

drop policy "owners add members" on public.workspace_members;
revoke insert on public.workspace_members from anon, authenticated;
revoke execute on function public.add_workspace_member(uuid, text, public.workspace_role) from authenticated;
comment on function public.add_workspace_member(uuid, text, public.workspace_role) is
  'Adds the user with this e-mail address to the workspace with the given role, without asking them. For the service role (admin tooling) and Studio only; owners invite with public.create_workspace_invitation() instead.';

-- ---------------------------------------------------------------------------------------------
-- The functions
-- ---------------------------------------------------------------------------------------------

-- The id of the account that would see an invitation to this address (confirmed, not deleted).
create or replace function private.account_with_confirmed_email(address text)
returns uuid
language sql
stable
set search_path = ''
as $$
  select u.id from auth.users u
  where lower(u.email) = address and u.email_confirmed_at is not null and u.deleted_at is null
  limit 1
$$;
comment on function private.account_with_confirmed_email(text) is
  'The auth.users id whose confirmed e-mail address is this (lower-case) one, if any. Used by the SECURITY DEFINER invitation functions only.';

create or replace function public.create_workspace_invitation(
  target_workspace uuid,
  invitee_email text,
  invitee_role public.workspace_role default 'viewer',
  valid_for interval default interval '7 days'
)
returns table (
  id uuid, workspace_id uuid, email text, role public.workspace_role, invited_by uuid,
  created_at timestamptz, expires_at timestamptz, token text)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  inviter uuid := (select auth.uid());
  address text := lower(btrim(invitee_email));
  secret text := 'tkinv_' || translate(encode(extensions.gen_random_bytes(32), 'base64'), '+/=', '-_');
  invitee uuid;
  made public.workspace_invitations;
begin
  if not ((select private.has_workspace_role(target_workspace, 'owner')) or (select private.is_service())) then
    raise exception 'only owners of the workspace can invite' using errcode = '42501';
  end if;
  if valid_for is null or valid_for < interval '1 hour' or valid_for > interval '30 days' then
    raise exception 'an invitation is valid for 1 hour to 30 days' using errcode = '22023';
  end if;
  -- The owner sees the members' addresses anyway, so saying that one is a member reveals nothing;
  -- whether any other address has an account is never told.
  invitee := private.account_with_confirmed_email(address);
  if exists (select 1 from public.workspace_members m where m.workspace_id = target_workspace and m.user_id = invitee) then
    raise exception 'that address belongs to a member already' using errcode = 'TK114';
  end if;
  -- A new invitation to the same address replaces the open one (whose link stops working).
  update public.workspace_invitations i set revoked_at = now(), revoked_by = inviter
  where i.workspace_id = target_workspace and i.email = address
    and i.accepted_at is null and i.declined_at is null and i.revoked_at is null;
  insert into public.workspace_invitations (workspace_id, email, role, token_hash, invited_by, expires_at)
  values (target_workspace, address, invitee_role, sha256(convert_to(secret, 'UTF8')), inviter, now() + valid_for)
  returning * into made;
  if invitee is not null then
    perform realtime.send(
      jsonb_build_object(
        'type', 'invitation_received', 'id', made.id, 'workspace_id', made.workspace_id,
        'workspace_name', (select w.name from public.workspaces w where w.id = made.workspace_id),
        'email', made.email, 'role', made.role, 'invited_by', made.invited_by,
        'inviter_name', (select p.display_name from public.profiles p where p.id = made.invited_by),
        'created_at', made.created_at, 'expires_at', made.expires_at),
      'invitation', 'user:' || invitee, true);
  end if;
  return query select made.id, made.workspace_id, made.email, made.role, made.invited_by, made.created_at, made.expires_at, secret;
end
$$;
comment on function public.create_workspace_invitation(uuid, text, public.workspace_role, interval) is
  'Owners (and the service role): invites an e-mail address to the workspace with a role, valid for 1 hour to 30 days (7 days by default). Returns the invitation with its secret link token, which is shown only here. The answer is the same whether or not the address has an account (TK114 only when it belongs to a member already). A confirmed account with that address gets an `invitation` broadcast of type invitation_received on user:<its id>.';

-- Finds the invitation by link token (anyone holding it) or by id (only for the invited, confirmed
-- address), locks it, and checks that it is still open. The lock serialises concurrent answers:
-- the second sees the first one's answer (TK113).
create or replace function private.claim_invitation(invitation_id uuid, invitation_token text)
returns public.workspace_invitations
language plpgsql
set search_path = ''
as $$
declare
  target public.workspace_invitations;
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to answer an invitation' using errcode = '42501';
  end if;
  if (invitation_id is null) = (invitation_token is null) then
    raise exception 'give either the invitation id or its link token' using errcode = '22023';
  end if;
  if invitation_token is not null then
    select * into target from public.workspace_invitations i
    where i.token_hash = sha256(convert_to(invitation_token, 'UTF8'))
    for update;
  else
    select * into target from public.workspace_invitations i
    where i.id = invitation_id and i.email = (select private.confirmed_email())
    for update;
  end if;
  if target.id is null then
    raise exception 'no such invitation for you' using errcode = 'TK110';
  elsif target.accepted_at is not null or target.declined_at is not null then
    raise exception 'the invitation was already answered' using errcode = 'TK113';
  elsif target.revoked_at is not null then
    raise exception 'the invitation was withdrawn' using errcode = 'TK112';
  elsif target.expires_at <= now() then
    raise exception 'the invitation has expired' using errcode = 'TK111';
  end if;
  return target;
end
$$;
comment on function private.claim_invitation(uuid, text) is
  'For accept_/decline_workspace_invitation: the open invitation with this link token, or with this id and the caller''s confirmed address, locked FOR UPDATE; TK110 none, TK111 expired, TK112 revoked, TK113 already answered.';

create or replace function public.accept_workspace_invitation(invitation_id uuid default null, invitation_token text default null)
returns setof public.workspace_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  invitation public.workspace_invitations := private.claim_invitation(invitation_id, invitation_token);
  member uuid := (select auth.uid());
begin
  if exists (select 1 from public.workspace_members m where m.workspace_id = invitation.workspace_id and m.user_id = member) then
    raise exception 'you are a member of this workspace already' using errcode = 'TK114';
  end if;
  update public.workspace_invitations i set accepted_at = now(), accepted_by = member where i.id = invitation.id;
  return query
    insert into public.workspace_members (workspace_id, user_id, role, added_by)
    values (invitation.workspace_id, member, invitation.role, invitation.invited_by)
    returning *;
end
$$;
comment on function public.accept_workspace_invitation(uuid, text) is
  'Signed-in users: accepts an open invitation, given its link token (whoever holds it) or its id (the invited, confirmed address), and makes the caller a member with the invited role. Each invitation is used once, also under concurrent accepts.';

create or replace function public.decline_workspace_invitation(invitation_id uuid default null, invitation_token text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  invitation public.workspace_invitations := private.claim_invitation(invitation_id, invitation_token);
begin
  update public.workspace_invitations i set declined_at = now() where i.id = invitation.id;
end
$$;
comment on function public.decline_workspace_invitation(uuid, text) is
  'Signed-in users: declines an open invitation, given its link token or its id (the invited, confirmed address). It can no longer be accepted.';

-- Tells the account with the invitation's address, if any, that it was withdrawn.
create or replace function private.announce_withdrawal(invitation public.workspace_invitations)
returns void
language plpgsql
set search_path = ''
as $$
declare
  invitee uuid := private.account_with_confirmed_email(invitation.email);
begin
  if invitee is not null then
    perform realtime.send(
      jsonb_build_object('type', 'invitation_revoked', 'id', invitation.id, 'workspace_id', invitation.workspace_id),
      'invitation', 'user:' || invitee, true);
  end if;
end
$$;
comment on function private.announce_withdrawal(public.workspace_invitations) is
  'Sends an `invitation` broadcast of type invitation_revoked to user:<id> of the account with the invitation''s confirmed address, if any. Used by the SECURITY DEFINER invitation functions only.';

create or replace function public.revoke_workspace_invitation(invitation_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.workspace_invitations;
begin
  select * into target from public.workspace_invitations i where i.id = invitation_id for update;
  if target.id is null or not ((select private.has_workspace_role(target.workspace_id, 'owner')) or (select private.is_service())) then
    raise exception 'no such invitation for you' using errcode = 'TK110';
  elsif target.accepted_at is not null or target.declined_at is not null then
    raise exception 'the invitation was already answered' using errcode = 'TK113';
  elsif target.revoked_at is not null then
    return;
  end if;
  update public.workspace_invitations i set revoked_at = now(), revoked_by = (select auth.uid()) where i.id = target.id;
  perform private.announce_withdrawal(target);
end
$$;
comment on function public.revoke_workspace_invitation(uuid) is
  'Owners of the invitation''s workspace (and the service role): withdraws an open invitation, so that neither its id nor its link can be used. Revoking twice is harmless; an answered invitation stays as it is (TK113). The invitee gets an `invitation` broadcast of type invitation_revoked. (Demoting or removing an owner withdraws their open invitations too.)';

-- An invitation speaks for an owner: when they stop being one (demoted or removed), their open
-- invitations are withdrawn, so nobody joins on the authority of someone who no longer has it.
create or replace function private.withdraw_invitations_of_former_owner()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  withdrawn public.workspace_invitations;
begin
  if old.role = 'owner' and (tg_op = 'DELETE' or new.role <> 'owner') then
    for withdrawn in
      update public.workspace_invitations i set revoked_at = now(), revoked_by = (select auth.uid())
      where i.workspace_id = old.workspace_id and i.invited_by = old.user_id
        and i.accepted_at is null and i.declined_at is null and i.revoked_at is null
      returning i.*
    loop
      perform private.announce_withdrawal(withdrawn);
    end loop;
  end if;
  return null;
end
$$;
comment on function private.withdraw_invitations_of_former_owner() is
  'AFTER UPDATE OF role / DELETE trigger on workspace_members: an owner who is demoted or removed has their open invitations withdrawn (and the invitees told).';

create trigger workspace_members_withdraw_invitations
  after update of role or delete on public.workspace_members
  for each row execute function private.withdraw_invitations_of_former_owner();

create or replace function public.my_pending_invitations()
returns table (
  id uuid, workspace_id uuid, workspace_name text, email text, role public.workspace_role,
  invited_by uuid, inviter_name text, created_at timestamptz, expires_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select i.id, i.workspace_id, w.name, i.email, i.role, i.invited_by, p.display_name, i.created_at, i.expires_at
  from public.workspace_invitations i
  join public.workspaces w on w.id = i.workspace_id
  left join public.profiles p on p.id = i.invited_by
  where i.email = (select private.confirmed_email())
    and i.accepted_at is null and i.declined_at is null and i.revoked_at is null and i.expires_at > now()
  order by i.created_at desc, i.id
$$;
comment on function public.my_pending_invitations() is
  'Signed-in users: the open invitations to their confirmed e-mail address, with the workspace''s name and the inviter''s display name (which they cannot read otherwise before joining).';

revoke execute on function
  public.create_workspace_invitation(uuid, text, public.workspace_role, interval),
  public.accept_workspace_invitation(uuid, text),
  public.decline_workspace_invitation(uuid, text),
  public.revoke_workspace_invitation(uuid),
  public.my_pending_invitations()
  from public, anon;
grant execute on function
  public.create_workspace_invitation(uuid, text, public.workspace_role, interval),
  public.accept_workspace_invitation(uuid, text),
  public.decline_workspace_invitation(uuid, text),
  public.revoke_workspace_invitation(uuid),
  public.my_pending_invitations()
  to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Realtime: user:<id> is the user's own inbox. Only they may read it; no client may write it (no
-- INSERT policy admits the topic), the functions above send there as the database.
-- ---------------------------------------------------------------------------------------------

create policy "users receive their own notices on user:<their id>" on realtime.messages
  for select to authenticated
  using (extension = 'broadcast' and (select realtime.topic()) = 'user:' || (select auth.uid())::text);

revoke execute on all functions in schema private from public;
