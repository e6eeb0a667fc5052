-- Invitations: the table's privileges and policies for every role, create / accept / decline /
-- revoke with their checks (token, expiry, e-mail, use-once), the notices on the invitee's private
-- topic user:<id>, and that members are only ever made by acceptance (or the service role).
begin;
select plan(89);

select * from tests.create_team('a') \gset a_
select * from tests.create_team('b') \gset b_
select tests.create_user('outsider@test.local') as outsider \gset
select tests.create_user('newcomer@test.local') as newcomer \gset
select tests.create_user('linkholder@test.local') as linkholder \gset
select tests.create_user('unconfirmed@test.local') as unconfirmed \gset
select tests.create_user('admin@test.local', '{"role": "admin"}') as admin \gset
update auth.users set email_confirmed_at = null where id = :'unconfirmed';

-- =============================================================================================
-- Privileges: reads only through RLS, never the token hash; writes only through the functions
-- =============================================================================================
select has_table('public', 'workspace_invitations', 'the invitations table exists');
select ok((select relrowsecurity from pg_class where oid = 'public.workspace_invitations'::regclass), 'RLS is on');
select ok(has_column_privilege('authenticated', 'public.workspace_invitations', 'email', 'select'), 'users may read invitations (as far as RLS shows them)');
select ok(not has_column_privilege('authenticated', 'public.workspace_invitations', 'token_hash', 'select'), 'users never read the token hash');
select ok(not has_table_privilege('authenticated', 'public.workspace_invitations', 'insert,update,delete'), 'users write invitations only through the functions');
select ok(not has_table_privilege('anon', 'public.workspace_invitations', 'select,insert,update,delete')
          and not has_any_column_privilege('anon', 'public.workspace_invitations', 'select'), 'anon has no privilege at all');
select ok(not has_function_privilege('anon', 'public.create_workspace_invitation(uuid,text,public.workspace_role,interval)', 'execute')
          and not has_function_privilege('anon', 'public.accept_workspace_invitation(uuid,text)', 'execute')
          and not has_function_privilege('anon', 'public.decline_workspace_invitation(uuid,text)', 'execute')
          and not has_function_privilege('anon', 'public.revoke_workspace_invitation(uuid)', 'execute')
          and not has_function_privilege('anon', 'public.my_pending_invitations()', 'execute'), 'anon may call none of the invitation functions');
select ok(not has_function_privilege('authenticated', 'private.claim_invitation(uuid,text)', 'execute'), 'users cannot call the claim helper directly');

-- =============================================================================================
-- Create: owners (and the service role) only; the token is returned once and stored as a hash
-- =============================================================================================
select tests.authenticate_as(:'a_owner_id');
select id as inv, token, email as inv_email, expires_at - created_at as valid_for
from public.create_workspace_invitation(:'a_workspace_id', '  NewComer@Test.local ', 'editor') \gset
select is(:'inv_email'::text, 'newcomer@test.local', 'the e-mail is stored trimmed and lower-case');
select ok(:'token' ~ '^tkinv_[A-Za-z0-9_-]{43}$', 'the token is tkinv_ and 256 random bits, base64url');
select is(:'valid_for'::interval, interval '7 days', 'an invitation is valid for 7 days by default');
select tests.clear_authentication();
select is((select token_hash from public.workspace_invitations where id = :'inv'), sha256(convert_to(:'token', 'UTF8')),
  'only the SHA-256 of the token is stored');
select is_empty(format($$select 1 from public.workspace_invitations i where to_jsonb(i)::text like '%%%s%%'$$, substr(:'token', 7)),
  'the token itself is stored nowhere in the row');
select results_eq(format($$select role::text, invited_by from public.workspace_invitations where id = %L$$, :'inv'),
  format($$values ('editor', %L::uuid)$$, :'a_owner_id'), 'the row holds the role and who invited');
select is((select count(*) from public.workspace_members where workspace_id = :'a_workspace_id' and user_id = :'newcomer'), 0::bigint,
  'an invitation makes nobody a member');

select tests.authenticate_as(:'a_editor_id');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'x@test.local')$$, :'a_workspace_id'), '42501', null, 'an editor cannot invite');
select tests.authenticate_as(:'a_viewer_id');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'x@test.local')$$, :'a_workspace_id'), '42501', null, 'a viewer cannot invite');
select tests.authenticate_as(:'outsider');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'outsider@test.local', 'owner')$$, :'a_workspace_id'), '42501', null, 'a non-member cannot invite (not even themselves)');
select tests.authenticate_as(:'admin');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'x@test.local')$$, :'a_workspace_id'), '42501', null, 'a platform admin who is no member cannot invite');
select tests.authenticate_as(:'b_owner_id');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'x@test.local')$$, :'a_workspace_id'), '42501', null, 'the owner of another workspace cannot invite here');
select tests.authenticate_as_anon();
select throws_ok(format($$select public.create_workspace_invitation(%L, 'x@test.local')$$, :'a_workspace_id'), '42501', null, 'anon cannot invite');

select tests.authenticate_as(:'a_owner_id');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'editor-a@test.local')$$, :'a_workspace_id'), 'TK114', null,
  'inviting someone who already is a member is TK114');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'x@test.local', 'viewer', interval '10 minutes')$$, :'a_workspace_id'), '22023', null,
  'an invitation lives at least an hour');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'x@test.local', 'viewer', interval '31 days')$$, :'a_workspace_id'), '22023', null,
  'and at most 30 days');
select throws_ok(format($$select public.create_workspace_invitation(%L, 'not an address')$$, :'a_workspace_id'), '23514', null,
  'the database refuses what is not an e-mail address');
select id as nobody_inv from public.create_workspace_invitation(:'a_workspace_id', 'nobody@test.local') \gset
select id as unconfirmed_inv from public.create_workspace_invitation(:'a_workspace_id', 'unconfirmed@test.local') \gset
select id as link_inv, token as link_token from public.create_workspace_invitation(:'a_workspace_id', 'someone-else@test.local', 'viewer') \gset
select tests.authenticate_as_service_role();
select results_eq(format($$select email, invited_by from public.create_workspace_invitation(%L, 'outsider@test.local')$$, :'b_workspace_id'),
  $$values ('outsider@test.local', null::uuid)$$, 'the service role invites anywhere (as nobody)');

-- =============================================================================================
-- Notices on user:<id>: to a confirmed account with that address, and to nobody else
-- =============================================================================================
select tests.clear_authentication();
select results_eq(format($$select event, payload ->> 'type', payload ->> 'id', payload ->> 'workspace_id', payload ->> 'workspace_name', payload ->> 'role'
                           from realtime.messages where topic = 'user:%s'$$, :'newcomer'),
  format($$values ('invitation', 'invitation_received', %L, %L, 'Team a', 'editor')$$, :'inv', :'a_workspace_id'),
  'the invitee''s private topic gets a notice with the workspace and the role');
select is((select payload ->> 'inviter_name' from realtime.messages where topic = 'user:' || :'newcomer'), 'owner-a',
  'the notice names the inviter');
select ok((select private from realtime.messages where topic = 'user:' || :'newcomer'), 'the notice is a private broadcast');
select is((select count(*) from realtime.messages where topic = 'user:' || :'unconfirmed'), 0::bigint,
  'an account whose address is not confirmed gets no notice');
select is((select count(*) from realtime.messages where payload ->> 'id' = :'nobody_inv'), 0::bigint,
  'an address without an account gets no notice');

-- =============================================================================================
-- Who sees which invitations
-- =============================================================================================
select tests.authenticate_as(:'a_owner_id');
select set_eq('select id from public.workspace_invitations', array[:'inv', :'nobody_inv', :'unconfirmed_inv', :'link_inv']::uuid[],
  'an owner sees the invitations of their workspace, and no other');
select tests.authenticate_as(:'a_editor_id');
select is_empty('select id from public.workspace_invitations', 'an editor sees no invitations');
select tests.authenticate_as(:'a_viewer_id');
select is_empty('select id from public.workspace_invitations', 'a viewer sees no invitations');
select tests.authenticate_as(:'admin');
select is_empty('select id from public.workspace_invitations', 'a platform admin sees no invitations');
select tests.authenticate_as(:'newcomer');
select set_eq('select id from public.workspace_invitations', array[:'inv']::uuid[], 'the invitee sees the invitation sent to their address');
select results_eq('select id, workspace_name, role::text, inviter_name from public.my_pending_invitations()',
  format($$values (%L::uuid, 'Team a', 'editor', 'owner-a')$$, :'inv'), 'my_pending_invitations names the workspace, role and inviter');
select tests.authenticate_as(:'outsider');
select set_eq('select workspace_id from public.workspace_invitations', array[:'b_workspace_id']::uuid[],
  'another user sees only the invitation to their own address');
select tests.authenticate_as(:'unconfirmed');
select is_empty('select id from public.workspace_invitations', 'an unconfirmed address sees nothing');
select is_empty('select id from public.my_pending_invitations()', 'nor through my_pending_invitations');
select tests.authenticate_as_anon();
select throws_ok('select id from public.workspace_invitations', '42501', null, 'anon cannot read invitations');
select tests.authenticate_as_service_role();
select is((select count(*) from public.workspace_invitations where workspace_id in (:'a_workspace_id', :'b_workspace_id')), 5::bigint,
  'the service role sees every invitation');

-- =============================================================================================
-- Accept: by id for the invited address, by token for whoever holds it; use-once
-- =============================================================================================
select tests.authenticate_as(:'outsider');
select throws_ok(format($$select public.accept_workspace_invitation(%L)$$, :'inv'), 'TK110', null,
  'another user cannot accept an invitation by id');
select tests.authenticate_as(:'a_editor_id');
select throws_ok(format($$select public.accept_workspace_invitation(%L)$$, :'inv'), 'TK110', null, 'nor can a member of the workspace');
select throws_ok($$select public.accept_workspace_invitation(invitation_token => 'tkinv_wrong')$$, 'TK110', null, 'a wrong token is TK110');
select throws_ok('select public.accept_workspace_invitation()', '22023', null, 'an id or a token is needed');
select throws_ok(format($$select public.accept_workspace_invitation(%L, 'x')$$, :'inv'), '22023', null, 'but not both');
select tests.authenticate_as_service_role();
select throws_ok(format($$select public.accept_workspace_invitation(%L)$$, :'inv'), '42501', null, 'the service role is nobody to accept as');
select tests.authenticate_as(:'unconfirmed');
select throws_ok(format($$select public.accept_workspace_invitation(%L)$$, :'unconfirmed_inv'), 'TK110', null,
  'an unconfirmed address cannot accept by id');

select tests.authenticate_as(:'newcomer');
select results_eq(format($$select user_id, role::text, added_by from public.accept_workspace_invitation(%L)$$, :'inv'),
  format($$values (%L::uuid, 'editor', %L::uuid)$$, :'newcomer', :'a_owner_id'), 'the invitee accepts: a member with the invited role, added by the inviter');
select is((select count(*) from public.workspaces where id = :'a_workspace_id'), 1::bigint, 'the new member sees the workspace at once');
select is((select count(*) from public.workspace_members where workspace_id = :'a_workspace_id'), 4::bigint, 'and sees themselves among the members');
select throws_ok(format($$select public.accept_workspace_invitation(%L)$$, :'inv'), 'TK113', null, 'an invitation is used once');
select throws_ok(format($$select public.accept_workspace_invitation(invitation_token => %L)$$, :'token'), 'TK113', null,
  'its link is used up too');
select tests.clear_authentication();
select results_eq(format($$select accepted_by, accepted_at is not null, declined_at is null, revoked_at is null from public.workspace_invitations where id = %L$$, :'inv'),
  format($$values (%L::uuid, true, true, true)$$, :'newcomer'), 'the invitation records who accepted and when');

select tests.authenticate_as(:'linkholder');
select results_eq(format($$select user_id, role::text from public.accept_workspace_invitation(invitation_token => %L)$$, :'link_token'),
  format($$values (%L::uuid, 'viewer')$$, :'linkholder'), 'whoever holds the link token may accept it, whatever their address');

-- Expired, revoked, declined, superseded
select tests.authenticate_as(:'b_owner_id');
select id as exp_inv, token as exp_token from public.create_workspace_invitation(:'b_workspace_id', 'newcomer@test.local') \gset
select tests.clear_authentication();
update public.workspace_invitations set created_at = now() - interval '8 days', expires_at = now() - interval '1 day' where id = :'exp_inv';
select tests.authenticate_as(:'newcomer');
select throws_ok(format($$select public.accept_workspace_invitation(%L)$$, :'exp_inv'), 'TK111', null, 'an expired invitation is TK111');
select throws_ok(format($$select public.accept_workspace_invitation(invitation_token => %L)$$, :'exp_token'), 'TK111', null, 'by token too');
select is_empty('select id from public.my_pending_invitations()', 'expired invitations are not pending');

select tests.authenticate_as(:'b_owner_id');
select id as old_inv, token as old_token from public.create_workspace_invitation(:'b_workspace_id', 'linkholder@test.local') \gset
select id as new_inv from public.create_workspace_invitation(:'b_workspace_id', 'linkholder@test.local', 'editor') \gset
select tests.authenticate_as(:'linkholder');
select throws_ok(format($$select public.accept_workspace_invitation(invitation_token => %L)$$, :'old_token'), 'TK112', null,
  'a new invitation to the same address replaces the old one (its link is revoked)');
select set_eq('select id from public.my_pending_invitations()', array[:'new_inv']::uuid[], 'only the newest is pending');
select lives_ok(format($$select public.decline_workspace_invitation(%L)$$, :'new_inv'), 'the invitee declines');
select throws_ok(format($$select public.accept_workspace_invitation(%L)$$, :'new_inv'), 'TK113', null, 'a declined invitation cannot be accepted');
select tests.clear_authentication();
select is((select count(*) from public.workspace_members where workspace_id = :'b_workspace_id' and user_id = :'linkholder'), 0::bigint,
  'declining makes no membership');
select tests.authenticate_as(:'outsider');
select throws_ok(format($$select public.decline_workspace_invitation(%L)$$, :'nobody_inv'), 'TK110', null, 'nobody declines an invitation that is not theirs');

-- Accepting when already a member (added by the service role meanwhile)
select tests.authenticate_as(:'b_owner_id');
select id as dup_inv from public.create_workspace_invitation(:'b_workspace_id', 'newcomer@test.local') \gset
select tests.authenticate_as_service_role();
insert into public.workspace_members (workspace_id, user_id, role) values (:'b_workspace_id', :'newcomer', 'viewer');
select tests.authenticate_as(:'newcomer');
select throws_ok(format($$select public.accept_workspace_invitation(%L)$$, :'dup_inv'), 'TK114', null, 'accepting while already a member is TK114');

-- =============================================================================================
-- Revoke: owners only; used invitations stay as they are
-- =============================================================================================
select tests.authenticate_as(:'a_editor_id');
select throws_ok(format($$select public.revoke_workspace_invitation(%L)$$, :'nobody_inv'), 'TK110', null, 'an editor cannot revoke');
select tests.authenticate_as(:'b_owner_id');
select throws_ok(format($$select public.revoke_workspace_invitation(%L)$$, :'nobody_inv'), 'TK110', null, 'nor the owner of another workspace');
select tests.authenticate_as(:'a_owner_id');
select lives_ok(format($$select public.revoke_workspace_invitation(%L)$$, :'nobody_inv'), 'the owner revokes a pending invitation');
select lives_ok(format($$select public.revoke_workspace_invitation(%L)$$, :'nobody_inv'), 'revoking twice is harmless');
select throws_ok(format($$select public.revoke_workspace_invitation(%L)$$, :'inv'), 'TK113', null, 'an accepted invitation cannot be revoked');
select tests.clear_authentication();
select results_eq(format($$select revoked_by, revoked_at is not null from public.workspace_invitations where id = %L$$, :'nobody_inv'),
  format($$values (%L::uuid, true)$$, :'a_owner_id'), 'the invitation records who revoked it');
select tests.authenticate_as(:'a_owner_id');
select lives_ok(format($$select public.revoke_workspace_invitation(%L)$$, :'unconfirmed_inv'), 'the owner revokes another');
select tests.clear_authentication();
update auth.users set email_confirmed_at = now() where id = :'unconfirmed';
select tests.authenticate_as(:'unconfirmed');
select throws_ok(format($$select public.accept_workspace_invitation(%L)$$, :'unconfirmed_inv'), 'TK112', null,
  'a revoked invitation cannot be accepted');
select tests.authenticate_as_service_role();
select id as svc_inv from public.create_workspace_invitation(:'a_workspace_id', 'later@test.local') \gset
select lives_ok(format($$select public.revoke_workspace_invitation(%L)$$, :'svc_inv'), 'the service role revokes anywhere');

select tests.authenticate_as(:'b_owner_id');
select id as rev_inv from public.create_workspace_invitation(:'b_workspace_id', 'outsider@test.local') \gset
select public.revoke_workspace_invitation(:'rev_inv');
select tests.clear_authentication();
select results_eq(format($$select payload ->> 'type', payload ->> 'workspace_id' from realtime.messages where topic = 'user:%s' and payload ->> 'id' = %L and payload ->> 'type' = 'invitation_revoked'$$, :'outsider', :'rev_inv'),
  format($$values ('invitation_revoked', %L)$$, :'b_workspace_id'), 'the invitee is told when an invitation is withdrawn');

-- =============================================================================================
-- An owner who loses the role (demoted or removed) takes their open invitations along
-- =============================================================================================
select tests.clear_authentication();
update public.workspace_members set role = 'owner' where workspace_id = :'b_workspace_id' and user_id in (:'b_editor_id', :'b_viewer_id');
select tests.authenticate_as(:'b_editor_id');
select id as demoted_inv, token as demoted_token from public.create_workspace_invitation(:'b_workspace_id', 'demoted-owner-guest@test.local', 'owner') \gset
select tests.authenticate_as(:'b_viewer_id');
select id as removed_inv from public.create_workspace_invitation(:'b_workspace_id', 'linkholder@test.local', 'owner') \gset
select tests.authenticate_as(:'b_owner_id');
select id as kept_inv from public.create_workspace_invitation(:'b_workspace_id', 'kept-guest@test.local') \gset
update public.workspace_members set role = 'editor' where workspace_id = :'b_workspace_id' and user_id = :'b_editor_id';
delete from public.workspace_members where workspace_id = :'b_workspace_id' and user_id = :'b_viewer_id';
select tests.authenticate_as(:'linkholder');
select throws_ok(format($$select public.accept_workspace_invitation(invitation_token => %L)$$, :'demoted_token'), 'TK112', null,
  'an owner demoted to editor withdraws their open invitations');
select tests.clear_authentication();
select results_eq(format($$select id, revoked_by from public.workspace_invitations where id in (%L, %L, %L) and revoked_at is not null order by id$$, :'demoted_inv', :'removed_inv', :'kept_inv'),
  format($$select id, %L::uuid from (values (%L::uuid), (%L::uuid)) v (id) order by id$$, :'b_owner_id', :'demoted_inv', :'removed_inv'),
  'a removed owner''s too (recorded as by whoever did it), and nobody else''s');
select ok((select count(*) from realtime.messages where topic = 'user:' || :'linkholder' and payload ->> 'id' = :'removed_inv' and payload ->> 'type' = 'invitation_revoked') = 1,
  'and the invitees hear of it');

-- =============================================================================================
-- Members are made by acceptance only (or by the service role)
-- =============================================================================================
select tests.authenticate_as(:'a_owner_id');
select throws_ok(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'viewer')$$, :'a_workspace_id', :'outsider'),
  '42501', null, 'an owner cannot add members directly');
select throws_ok(format($$select public.add_workspace_member(%L, 'outsider@test.local')$$, :'a_workspace_id'), '42501', null,
  'nor by e-mail through add_workspace_member');
select tests.authenticate_as_service_role();
select is((select role::text from public.add_workspace_member(:'a_workspace_id', 'outsider@test.local', 'viewer')), 'viewer',
  'the service role still adds members by e-mail');

-- =============================================================================================
-- The private topic user:<id>: only that user reads it, nobody writes it
-- =============================================================================================
select tests.clear_authentication();
insert into realtime.messages (topic, extension) values ('user:' || :'newcomer', 'broadcast') returning id as probe \gset
select tests.authenticate_as(:'newcomer');
select set_config('realtime.topic', 'user:' || :'newcomer', true);
select ok(exists (select 1 from realtime.messages where id = :'probe'), 'a user may receive broadcasts on their own user:<id>');
select tests.authenticate_as(:'outsider');
select set_config('realtime.topic', 'user:' || :'newcomer', true);
select ok(not exists (select 1 from realtime.messages where id = :'probe'), 'another user may not');
select tests.authenticate_as(:'a_owner_id');
select set_config('realtime.topic', 'user:' || :'newcomer', true);
select ok(not exists (select 1 from realtime.messages where id = :'probe'), 'not even a teammate who owns the workspace');
select tests.authenticate_as_anon();
select set_config('realtime.topic', 'user:' || :'newcomer', true);
select ok(not exists (select 1 from realtime.messages where id = :'probe'), 'nor anon');
select tests.authenticate_as(:'newcomer');
select set_config('realtime.topic', 'user:' || :'newcomer', true);
select throws_ok(format($$insert into realtime.messages (topic, extension) values ('user:%s', 'broadcast')$$, :'newcomer'), '42501', null,
  'a user may not broadcast on their own user:<id> (only the database sends there)');
select throws_ok(format($$insert into realtime.messages (topic, extension) values ('user:%s', 'presence')$$, :'newcomer'), '42501', null,
  'nor share presence there');
select tests.authenticate_as(:'a_owner_id');
select set_config('realtime.topic', 'user:' || :'newcomer', true);
select throws_ok(format($$insert into realtime.messages (topic, extension) values ('user:%s', 'broadcast')$$, :'newcomer'), '42501', null,
  'and nobody else may send to it');

select * from finish();
rollback;
