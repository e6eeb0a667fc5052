-- Invitations are bounded, so that nobody can flood a workspace's list or someone's inbox: a
-- workspace has at most 100 open invitations (TK115), one person sends at most 100 in 24 hours
-- (TK116, with the seconds to wait as the error's hint), and an invitee's list shows the 100
-- newest. The service role is not limited.
begin;
select plan(12);

select * from tests.create_team('a') \gset a_
select * from tests.create_team('b') \gset b_
select tests.create_user('invitee@test.local') as invitee \gset

-- The error's hint (or null when the statement succeeds).
create function pg_temp.hint_of(statement text) returns text language plpgsql as $$
declare
  hint text;
begin
  execute statement;
  return null;
exception when others then
  get stacked diagnostics hint = pg_exception_hint;
  return hint;
end
$$;

-- =============================================================================================
-- At most 100 open invitations per workspace
-- =============================================================================================
-- 99 open ones made two days ago (outside the 24-hour count), still valid for days.
insert into public.workspace_invitations (workspace_id, email, token_hash, invited_by, created_at, expires_at)
select :'a_workspace_id', 'guest-' || i || '@test.local', sha256(('a' || i)::bytea), :'a_owner_id', now() - interval '2 days', now() + interval '5 days'
from generate_series(1, 99) as g(i);
-- Expired and withdrawn ones do not count.
insert into public.workspace_invitations (workspace_id, email, token_hash, invited_by, created_at, expires_at, revoked_at)
select :'a_workspace_id', 'old-' || i || '@test.local', sha256(('o' || i)::bytea), :'a_owner_id', now() - interval '3 days',
       case when i % 2 = 0 then now() - interval '1 day' else now() + interval '1 day' end,
       case when i % 2 = 1 then now() - interval '1 day' end
from generate_series(1, 20) as g(i);

select tests.authenticate_as(:'a_owner_id');
select lives_ok(format($$select public.create_workspace_invitation(%L, 'guest-100@test.local')$$, :'a_workspace_id'),
  'the 100th open invitation of a workspace is made');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'guest-101@test.local')$$, :'a_workspace_id'), 'TK115', null,
  'the 101st is TK115');
select lives_ok(format($$select public.create_workspace_invitation(%L, 'guest-5@test.local')$$, :'a_workspace_id'),
  'at the limit, a new invitation to an address with an open one replaces it');
select lives_ok(format($$select public.revoke_workspace_invitation((select id from public.workspace_invitations where email = 'guest-7@test.local' and revoked_at is null))$$),
  'an owner withdraws one');
select lives_ok(format($$select public.create_workspace_invitation(%L, 'guest-101@test.local')$$, :'a_workspace_id'),
  'and there is room again');
select tests.authenticate_as_service_role();
select lives_ok(format($$select public.create_workspace_invitation(%L, 'staff@test.local')$$, :'a_workspace_id'),
  'the service role is not limited');
select tests.clear_authentication();
select is((select count(*) from public.workspace_invitations where workspace_id = :'a_workspace_id' and accepted_at is null and declined_at is null and revoked_at is null and expires_at > now()),
  101::bigint, 'the owners made 100 open invitations, the service role one more');

-- =============================================================================================
-- At most 100 invitations per person in 24 hours, replaced and withdrawn ones included
-- =============================================================================================
-- 99 made by b's owner in the last day (23 hours ago the first), all withdrawn since.
insert into public.workspace_invitations (workspace_id, email, token_hash, invited_by, created_at, expires_at, revoked_at)
select :'b_workspace_id', 'again@test.local', sha256(('b' || i)::bytea), :'b_owner_id', now() - interval '23 hours' + i * interval '1 minute',
       now() + interval '6 days', now() - interval '1 hour'
from generate_series(0, 98) as g(i);

select tests.authenticate_as(:'b_owner_id');
select lives_ok(format($$select public.create_workspace_invitation(%L, 'again@test.local')$$, :'b_workspace_id'),
  'the 100th invitation in 24 hours is made');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'someone@test.local')$$, :'b_workspace_id'), 'TK116', null,
  'the 101st is TK116, in any workspace');
select ok(pg_temp.hint_of(format($$select public.create_workspace_invitation(%L, 'someone@test.local')$$, :'b_workspace_id'))::int between 3500 and 3601,
  'its hint is the seconds until the oldest of them is 24 hours old (about an hour here)');
select tests.clear_authentication();

-- =============================================================================================
-- An invitee sees the 100 newest
-- =============================================================================================
-- 101 workspaces invite the same address, one a minute.
with made as (
  insert into public.workspaces (name, created_by)
  select 'Inviting ' || i, :'b_owner_id' from generate_series(1, 101) as g(i)
  returning id, name
)
insert into public.workspace_invitations (workspace_id, email, token_hash, invited_by, created_at)
select m.id, 'invitee@test.local', sha256(convert_to(m.name, 'UTF8')), null, now() - (101 - substr(m.name, 10)::int) * interval '1 minute'
from made m;

select tests.authenticate_as(:'invitee');
select is((select count(*) from public.my_pending_invitations()), 100::bigint, 'an invitee''s list holds 100 invitations');
select is((select min(workspace_name) from public.my_pending_invitations() where workspace_name = 'Inviting 1'), null,
  'the oldest is left out');
select tests.clear_authentication();

select * from finish();
rollback;
