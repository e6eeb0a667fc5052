-- workspace_members: the policy matrix, add_workspace_member() (service role only: users join by
-- accepting an invitation, see 110_invitations), and the last-owner guard. anon has no privilege on
-- the table (42501); denials by policy touch zero rows.
begin;
select plan(61);

select * from tests.create_team('a') \gset a_
select * from tests.create_team('b') \gset b_
select tests.create_user('outsider@test.local') as outsider \gset
select tests.create_user('newcomer@test.local') as newcomer \gset
select tests.create_user('admin@test.local', '{"role": "admin"}') as admin \gset

-- =============================================================================================
-- SELECT
-- =============================================================================================
select tests.authenticate_as_anon();
select throws_ok('select count(*) from public.workspace_members', '42501', null, 'anon may not read memberships at all');
select tests.authenticate_as(:'outsider');
select is((select count(*) from public.workspace_members), 0::bigint, 'a non-member reads no memberships');
select tests.authenticate_as(:'admin');
select is((select count(*) from public.workspace_members), 0::bigint, 'a platform admin who is no member reads no memberships');
select tests.authenticate_as(:'a_viewer_id');
select set_eq('select user_id from public.workspace_members', array[:'a_owner_id', :'a_editor_id', :'a_viewer_id']::uuid[],
  'a viewer reads all members of their workspace and of no other');
select tests.authenticate_as(:'a_editor_id');
select set_eq('select user_id from public.workspace_members', array[:'a_owner_id', :'a_editor_id', :'a_viewer_id']::uuid[],
  'an editor reads the members of their workspace');
select tests.authenticate_as(:'a_owner_id');
select set_eq('select user_id from public.workspace_members', array[:'a_owner_id', :'a_editor_id', :'a_viewer_id']::uuid[],
  'an owner reads the members of their workspace');
select tests.authenticate_as_service_role();
select is((select count(*) from public.workspace_members where workspace_id in (:'a_workspace_id', :'b_workspace_id')), 6::bigint,
  'the service role reads every membership');

-- =============================================================================================
-- INSERT
-- =============================================================================================
select tests.authenticate_as(:'a_editor_id');
select throws_ok(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'viewer')$$, :'a_workspace_id', :'newcomer'),
  '42501', null, 'an editor cannot add members');
select tests.authenticate_as(:'a_viewer_id');
select throws_ok(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'viewer')$$, :'a_workspace_id', :'newcomer'),
  '42501', null, 'a viewer cannot add members');
select tests.authenticate_as(:'outsider');
select throws_ok(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'owner')$$, :'a_workspace_id', :'outsider'),
  '42501', null, 'a non-member cannot add themselves');
select tests.authenticate_as(:'admin');
select throws_ok(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'owner')$$, :'a_workspace_id', :'admin'),
  '42501', null, 'a platform admin cannot add themselves');
select tests.authenticate_as(:'b_owner_id');
select throws_ok(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'viewer')$$, :'a_workspace_id', :'b_owner_id'),
  '42501', null, 'the owner of another workspace cannot add members here');
select tests.authenticate_as_anon();
select throws_ok(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'viewer')$$, :'a_workspace_id', :'newcomer'),
  '42501', null, 'anon cannot add members');
select tests.clear_authentication();
select is((select count(*) from public.workspace_members where workspace_id = :'a_workspace_id'), 3::bigint, 'no denied insert added a member');

select tests.authenticate_as(:'a_owner_id');
select throws_ok(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'viewer')$$, :'a_workspace_id', :'newcomer'),
  '42501', null, 'not even an owner adds members directly (they invite)');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'viewer')$$, :'a_workspace_id', :'newcomer')),
  1::bigint, 'the service role adds a member');
select throws_ok(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'editor')$$, :'a_workspace_id', :'newcomer'),
  '23505', null, 'a user is a member only once');
select is(tests.affected_rows(format($$insert into public.workspace_members (workspace_id, user_id, role) values (%L, %L, 'viewer')$$, :'b_workspace_id', :'newcomer')),
  1::bigint, 'the service role adds members anywhere');

-- add_workspace_member(): by e-mail, for the service role only
select tests.authenticate_as(:'a_owner_id');
select throws_ok(format($$select public.add_workspace_member(%L, 'outsider@test.local', 'editor')$$, :'a_workspace_id'), '42501', null,
  'an owner cannot add a member by e-mail either');
select tests.authenticate_as_service_role();
select results_eq(format($$select user_id, role::text from public.add_workspace_member(%L, '  OUTSIDER@test.local ', 'editor')$$, :'a_workspace_id'),
  format($$values (%L::uuid, 'editor')$$, :'outsider'), 'the service role adds a member by e-mail (case and spaces ignored)');
select throws_ok(format($$select public.add_workspace_member(%L, 'nobody@test.local')$$, :'a_workspace_id'), 'TK002', null,
  'an unknown e-mail address is TK002');
select throws_ok(format($$select public.add_workspace_member(%L, 'outsider@test.local')$$, :'a_workspace_id'), '23505', null,
  'adding a member twice is a unique violation');
select tests.authenticate_as(:'a_editor_id');
select throws_ok(format($$select public.add_workspace_member(%L, 'admin@test.local')$$, :'a_workspace_id'), '42501', null,
  'an editor cannot add members by e-mail');
select throws_ok(format($$select public.add_workspace_member(%L, 'nobody@test.local')$$, :'a_workspace_id'), '42501', null,
  'a non-owner gets 42501 even for an unknown address (no probing which accounts exist)');
select tests.authenticate_as_anon();
select throws_ok(format($$select public.add_workspace_member(%L, 'admin@test.local')$$, :'a_workspace_id'), '42501', null,
  'anon cannot call add_workspace_member');
select tests.authenticate_as_service_role();
select is((select role::text from public.add_workspace_member(:'b_workspace_id', 'admin@test.local', 'viewer')), 'viewer',
  'the service role adds members by e-mail');

-- =============================================================================================
-- UPDATE (roles)
-- =============================================================================================
select tests.authenticate_as(:'a_editor_id');
select is(tests.affected_rows(format($$update public.workspace_members set role = 'owner' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_editor_id')),
  0::bigint, 'an editor cannot promote themselves');
select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format($$update public.workspace_members set role = 'editor' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_viewer_id')),
  0::bigint, 'a viewer cannot promote themselves');
select tests.authenticate_as(:'outsider'); -- an editor of A by now, see above
select is(tests.affected_rows(format($$update public.workspace_members set role = 'viewer' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_owner_id')),
  0::bigint, 'an editor cannot demote the owner');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format($$update public.workspace_members set role = 'viewer' where workspace_id = %L$$, :'a_workspace_id')),
  0::bigint, 'a platform admin changes no roles');
select tests.authenticate_as(:'b_owner_id');
select is(tests.affected_rows(format($$update public.workspace_members set role = 'viewer' where workspace_id = %L$$, :'a_workspace_id')),
  0::bigint, 'the owner of another workspace changes no roles here');
select tests.authenticate_as_anon();
select throws_ok($$update public.workspace_members set role = 'owner'$$, '42501', null, 'anon may not change roles');
select tests.clear_authentication();
select set_eq(format('select user_id, role::text from public.workspace_members where workspace_id = %L', :'a_workspace_id'),
  format($$values (%L::uuid, 'owner'), (%L::uuid, 'editor'), (%L::uuid, 'viewer'), (%L::uuid, 'viewer'), (%L::uuid, 'editor')$$,
         :'a_owner_id', :'a_editor_id', :'a_viewer_id', :'newcomer', :'outsider'),
  'no denied role change took effect');

select tests.authenticate_as(:'a_owner_id');
select is(tests.affected_rows(format($$update public.workspace_members set role = 'editor' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_viewer_id')),
  1::bigint, 'the owner promotes a viewer');
-- Users may only update the role column; the trigger also stops trusted callers.
select throws_ok(format($$update public.workspace_members set user_id = %L where workspace_id = %L and user_id = %L$$, :'admin', :'a_workspace_id', :'a_viewer_id'),
  '42501', null, 'a membership cannot be handed to another user');
select tests.authenticate_as_service_role();
select throws_ok(format($$update public.workspace_members set workspace_id = %L where workspace_id = %L and user_id = %L$$, :'b_workspace_id', :'a_workspace_id', :'a_viewer_id'),
  'TK003', null, 'a membership cannot be moved into another workspace, not even by the service role');
select tests.clear_authentication();
select is((select role::text from public.workspace_members where workspace_id = :'a_workspace_id' and user_id = :'a_viewer_id'), 'editor',
  'the promotion took effect');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format($$update public.workspace_members set role = 'editor' where workspace_id = %L and user_id = %L$$, :'b_workspace_id', :'b_viewer_id')),
  1::bigint, 'the service role changes roles anywhere');

-- =============================================================================================
-- DELETE
-- =============================================================================================
select tests.authenticate_as(:'a_editor_id');
select is(tests.affected_rows(format($$delete from public.workspace_members where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'newcomer')),
  0::bigint, 'an editor cannot remove another member');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format($$delete from public.workspace_members where workspace_id = %L$$, :'a_workspace_id')),
  0::bigint, 'a platform admin removes nobody');
select tests.authenticate_as(:'b_owner_id');
select is(tests.affected_rows(format($$delete from public.workspace_members where workspace_id = %L$$, :'a_workspace_id')),
  0::bigint, 'the owner of another workspace removes nobody here');
select tests.authenticate_as_anon();
select throws_ok($$delete from public.workspace_members$$, '42501', null, 'anon may not remove members');
select tests.clear_authentication();
select is((select count(*) from public.workspace_members where workspace_id = :'a_workspace_id'), 5::bigint, 'nobody was removed');

select tests.authenticate_as(:'newcomer');
select is(tests.affected_rows(format($$delete from public.workspace_members where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'newcomer')),
  1::bigint, 'a viewer may leave a workspace');
select tests.authenticate_as(:'a_owner_id');
select is(tests.affected_rows(format($$delete from public.workspace_members where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'outsider')),
  1::bigint, 'the owner removes a member');
select tests.clear_authentication();
select set_eq(format('select user_id from public.workspace_members where workspace_id = %L', :'a_workspace_id'),
  array[:'a_owner_id', :'a_editor_id', :'a_viewer_id']::uuid[], 'exactly the leaver and the removed member are gone');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format($$delete from public.workspace_members where workspace_id = %L and user_id = %L$$, :'b_workspace_id', :'newcomer')),
  1::bigint, 'the service role removes members anywhere');

-- =============================================================================================
-- The last owner
-- =============================================================================================
select tests.authenticate_as(:'a_owner_id');
select throws_ok(format($$update public.workspace_members set role = 'editor' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_owner_id'),
  'TK001', null, 'the last owner cannot demote themselves');
select throws_ok(format($$delete from public.workspace_members where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_owner_id'),
  'TK001', null, 'the last owner cannot leave');
select lives_ok(format($$update public.workspace_members set role = 'owner' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_owner_id'),
  'an update that keeps the last owner an owner is fine');
select tests.authenticate_as_service_role();
select throws_ok(format($$delete from public.workspace_members where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_owner_id'),
  'TK001', null, 'not even the service role removes the last owner');
select tests.clear_authentication();
select is((select role::text from public.workspace_members where workspace_id = :'a_workspace_id' and user_id = :'a_owner_id'), 'owner',
  'the last owner is still the owner');

select tests.authenticate_as(:'a_owner_id');
select lives_ok(format($$update public.workspace_members set role = 'owner' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_editor_id'),
  'the owner makes the editor a second owner');
select lives_ok(format($$update public.workspace_members set role = 'viewer' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_owner_id'),
  'with another owner present, an owner may step down');
select tests.authenticate_as(:'a_editor_id');
select throws_ok(format($$delete from public.workspace_members where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_editor_id'),
  'TK001', null, 'the new sole owner cannot leave');
select lives_ok(format($$update public.workspace_members set role = 'owner' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_viewer_id'),
  'the new owner adds another owner');
select lives_ok(format($$delete from public.workspace_members where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_editor_id'),
  'and, no longer the last, leaves');
select tests.clear_authentication();
select results_eq(format($$select user_id from public.workspace_members where workspace_id = %L and role = 'owner'$$, :'a_workspace_id'),
  array[:'a_viewer_id'::uuid], 'exactly one owner remains');

-- Deleting the workspace, or the last owner's account, is still possible.
select tests.authenticate_as(:'b_owner_id');
select is(tests.affected_rows(format($$delete from public.workspaces where id = %L$$, :'b_workspace_id')), 1::bigint,
  'the sole owner deletes their workspace');
select tests.clear_authentication();
select lives_ok(format($$delete from auth.users where id = %L$$, :'a_viewer_id'), 'deleting the last owner''s account works');
select is((select count(*) from public.workspace_members where user_id = :'a_viewer_id'), 0::bigint, 'and takes their memberships along');

select * from finish();
rollback;
