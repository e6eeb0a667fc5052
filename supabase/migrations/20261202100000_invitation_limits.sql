-- Invitations are bounded, so that nobody can flood a workspace's list or someone's inbox (each
-- invitation to an account is also a Realtime notice on its user:<id> topic):
--
--   * a workspace has at most 100 open invitations (pending and not expired): TK115;
--   * one person makes at most 100 invitations in 24 hours, replaced and withdrawn ones included
--     (re-inviting one address in a loop would otherwise notify its owner without end): TK116,
--     whose hint is the number of seconds until one of them is 24 hours old;
--   * an invitee's list (public.my_pending_invitations()) holds the 100 newest.
--
-- The service role (admin tooling) is not limited.

-- The 24-hour count per inviter.
create index workspace_invitations_invited_by_idx on public.workspace_invitations (invited_by, created_at);

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
  limited boolean := not (select private.is_service());
  address text := lower(btrim(invitee_email));
  secret text := 'tkinv_' || translate(encode(extensions.gen_random_bytes(32), 'base64'), '+/=', '-_');
  invitee uuid;
  oldest_of_day timestamptz;
  made public.workspace_invitations;
begin
  if not ((select private.has_workspace_role(target_workspace, 'owner')) or not limited) then
    raise exception 'only owners of the workspace can invite' using errcode = '42501';
  end if;
  if valid_for is null or valid_for < interval '1 hour' or valid_for > interval '30 days' then
    raise exception 'an invitation is valid for 1 hour to 30 days' using errcode = '22023';
  end if;
  if limited then
    -- The 100th most recent invitation of the inviter: a 101st within 24 hours of it waits.
    select i.created_at into oldest_of_day from public.workspace_invitations i
    where i.invited_by = inviter and i.created_at > now() - interval '24 hours'
    order by i.created_at desc offset 99 limit 1;
    if oldest_of_day is not null then
      raise exception 'you made 100 invitations in the last 24 hours' using errcode = 'TK116',
        hint = ceil(extract(epoch from oldest_of_day + interval '24 hours' - now()))::int::text;
    end if;
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
  if limited and (select count(*) from public.workspace_invitations i
                  where i.workspace_id = target_workspace and i.accepted_at is null and i.declined_at is null
                    and i.revoked_at is null and i.expires_at > now()) >= 100 then
    raise exception 'the workspace has 100 open invitations' using errcode = 'TK115';
  end if;
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
  'Owners (and the service role): invites an e-mail address to the workspace with a role, valid for 1 hour to 30 days (7 days by default). Returns the invitation with its secret link token, which is shown only here. The answer is the same whether or not the address has an account (TK114 only when it belongs to a member already). A confirmed account with that address gets an `invitation` broadcast of type invitation_received on user:<its id>. Owners are limited: 100 open invitations per workspace (TK115), 100 invitations per person in 24 hours (TK116; the hint is the seconds to wait).';

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
  limit 100
$$;
comment on function public.my_pending_invitations() is
  'Signed-in users: the open invitations to their confirmed e-mail address, the 100 newest, with the workspace''s name and the inviter''s display name (which they cannot read otherwise before joining).';
