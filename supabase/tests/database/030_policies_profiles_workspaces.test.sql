-- Policy matrix for profiles and workspaces: anon, a non-member, viewer, editor, owner, a platform
-- admin (not a member) and the service role × select / insert / update / delete. A statement the
-- role has no privilege for fails with 42501 (anon has none on these tables); a privileged one that
-- the policies deny touches zero rows, and the row is checked afterwards.
begin;
select plan(56);

select * from tests.create_team('a') \gset a_
select * from tests.create_team('b') \gset b_
select tests.create_user('outsider@test.local') as outsider \gset
select tests.create_user('admin@test.local', '{"role": "admin"}') as admin \gset

-- =============================================================================================
-- profiles
-- =============================================================================================

-- SELECT
select tests.authenticate_as_anon();
select throws_ok('select count(*) from public.profiles', '42501', null, 'anon may not read profiles at all');

select tests.authenticate_as(:'outsider');
select results_eq('select id from public.profiles', array[:'outsider'::uuid], 'a user without a workspace reads only their own profile');

select tests.authenticate_as(:'a_viewer_id');
select set_eq('select id from public.profiles', array[:'a_owner_id', :'a_editor_id', :'a_viewer_id']::uuid[],
  'a viewer reads their own and their teammates'' profiles, nobody else''s');

select tests.authenticate_as(:'a_owner_id');
select set_eq('select id from public.profiles', array[:'a_owner_id', :'a_editor_id', :'a_viewer_id']::uuid[],
  'an owner reads their teammates'' profiles, not those of other workspaces');

select tests.authenticate_as(:'admin');
select results_eq('select id from public.profiles', array[:'admin'::uuid], 'a platform admin reads only their own profile');

select tests.authenticate_as_service_role();
select is((select count(*) from public.profiles where id in (:'a_owner_id', :'b_owner_id', :'outsider', :'admin')), 4::bigint,
  'the service role reads every profile');

-- INSERT (profiles come from the auth.users trigger only)
select tests.authenticate_as(:'outsider');
select throws_ok(format($$insert into public.profiles (id, display_name) values (%L, 'Again')$$, :'outsider'), '42501', null,
  'a user cannot insert a profile, not even their own');
select tests.authenticate_as_anon();
select throws_ok(format($$insert into public.profiles (id, display_name) values (%L, 'Anon')$$, :'outsider'), '42501', null,
  'anon cannot insert a profile');

-- UPDATE
select tests.authenticate_as(:'outsider');
select is(tests.affected_rows(format($$update public.profiles set display_name = 'Outsider O.' where id = %L$$, :'outsider')), 1::bigint,
  'a user renames their own profile');
select throws_ok(format($$update public.profiles set id = %L where id = %L$$, :'b_owner_id', :'outsider'), '42501', null,
  'a user cannot move their profile onto someone else''s id');
select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format($$update public.profiles set display_name = 'Hacked' where id = %L$$, :'a_owner_id')), 0::bigint,
  'a teammate cannot edit someone else''s profile');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format($$update public.profiles set display_name = 'Hacked' where id = %L$$, :'outsider')), 0::bigint,
  'a platform admin cannot edit other people''s profiles');
select tests.authenticate_as_anon();
select throws_ok($$update public.profiles set display_name = 'Hacked'$$, '42501', null, 'anon may not edit profiles');
select tests.clear_authentication();
select is((select display_name from public.profiles where id = :'outsider'), 'Outsider O.', 'the own rename took effect');
select is((select count(*) from public.profiles where display_name = 'Hacked'), 0::bigint, 'no denied rename took effect');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format($$update public.profiles set avatar_url = 'https://cdn.test/a.png' where id = %L$$, :'b_viewer_id')), 1::bigint,
  'the service role edits any profile');

-- DELETE (profiles go with their auth user)
select tests.authenticate_as(:'outsider');
select throws_ok(format($$delete from public.profiles where id = %L$$, :'outsider'), '42501', null,
  'a user cannot delete their profile (deleting the account does)');
select tests.authenticate_as_anon();
select throws_ok($$delete from public.profiles$$, '42501', null, 'anon may not delete profiles');
select tests.clear_authentication();
select is((select count(*) from public.profiles where id = :'outsider'), 1::bigint, 'the profile is still there');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format($$delete from public.profiles where id = %L$$, :'b_viewer_id')), 1::bigint,
  'the service role deletes a profile');
select lives_ok(format($$insert into public.profiles (id, display_name) values (%L, 'Restored')$$, :'b_viewer_id'),
  'and the service role may insert one');

-- =============================================================================================
-- workspaces
-- =============================================================================================

-- SELECT
select tests.authenticate_as_anon();
select throws_ok('select count(*) from public.workspaces', '42501', null, 'anon may not read workspaces at all');
select tests.authenticate_as(:'outsider');
select is((select count(*) from public.workspaces), 0::bigint, 'a non-member reads no workspaces');
select tests.authenticate_as(:'admin');
select is((select count(*) from public.workspaces), 0::bigint, 'a platform admin who is no member reads no workspaces');
select tests.authenticate_as(:'a_viewer_id');
select results_eq('select id from public.workspaces', array[:'a_workspace_id'::uuid], 'a viewer reads exactly their workspace');
select tests.authenticate_as(:'a_editor_id');
select results_eq('select id from public.workspaces', array[:'a_workspace_id'::uuid], 'an editor reads exactly their workspace');
select tests.authenticate_as(:'a_owner_id');
select results_eq('select id from public.workspaces', array[:'a_workspace_id'::uuid], 'an owner reads exactly their workspace');
select tests.authenticate_as_service_role();
select is((select count(*) from public.workspaces where id in (:'a_workspace_id', :'b_workspace_id')), 2::bigint,
  'the service role reads every workspace');

-- INSERT: only through create_workspace(), which makes the caller the first owner
select tests.authenticate_as(:'a_owner_id');
select throws_ok($$insert into public.workspaces (name) values ('Direct')$$, '42501', null,
  'even an owner cannot insert a workspace directly');
select tests.authenticate_as_anon();
select throws_ok($$insert into public.workspaces (name) values ('Direct')$$, '42501', null, 'anon cannot insert a workspace');
select throws_ok($$select public.create_workspace('Anon team')$$, '42501', null, 'anon cannot call create_workspace');

select tests.authenticate_as(:'outsider');
select is((select name from public.create_workspace('Outsider team')), 'Outsider team', 'a signed-in user creates a workspace');
select results_eq($$select w.name, m.role::text from public.workspaces w join public.workspace_members m on m.workspace_id = w.id
                   where m.user_id = auth.uid()$$,
  $$values ('Outsider team', 'owner')$$, 'the creator is its first owner and can read it right away');
select throws_ok($$select public.create_workspace('   ')$$, '23514', null, 'create_workspace rejects a blank name');

select tests.authenticate_as_service_role();
select throws_ok($$select public.create_workspace('Nobody''s')$$, '42501', null,
  'create_workspace needs a user (the service role is none)');
select lives_ok($$insert into public.workspaces (name) values ('Service-made')$$, 'the service role inserts workspaces directly');

-- UPDATE
select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format($$update public.workspaces set name = 'Renamed' where id = %L$$, :'a_workspace_id')), 0::bigint,
  'a viewer cannot rename the workspace');
select tests.authenticate_as(:'a_editor_id');
select is(tests.affected_rows(format($$update public.workspaces set name = 'Renamed' where id = %L$$, :'a_workspace_id')), 0::bigint,
  'an editor cannot rename the workspace');
select tests.authenticate_as(:'outsider');
select is(tests.affected_rows(format($$update public.workspaces set name = 'Renamed' where id = %L$$, :'a_workspace_id')), 0::bigint,
  'a non-member cannot rename the workspace');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format($$update public.workspaces set name = 'Renamed' where id = %L$$, :'a_workspace_id')), 0::bigint,
  'a platform admin cannot rename the workspace');
select tests.authenticate_as(:'b_owner_id');
select is(tests.affected_rows(format($$update public.workspaces set name = 'Renamed' where id = %L$$, :'a_workspace_id')), 0::bigint,
  'the owner of another workspace cannot rename it');
select tests.authenticate_as_anon();
select throws_ok($$update public.workspaces set name = 'Renamed'$$, '42501', null, 'anon may not rename workspaces');
select tests.clear_authentication();
select is((select name from public.workspaces where id = :'a_workspace_id'), 'Team a', 'the workspace kept its name');

select tests.authenticate_as(:'a_owner_id');
select is(tests.affected_rows(format($$update public.workspaces set name = 'Team A renamed' where id = %L$$, :'a_workspace_id')), 1::bigint,
  'the owner renames the workspace');
select throws_ok(format($$update public.workspaces set name = '' where id = %L$$, :'a_workspace_id'), '23514', null,
  'but not to a blank name');
select tests.clear_authentication();
select is((select name from public.workspaces where id = :'a_workspace_id'), 'Team A renamed', 'the owner''s rename took effect');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format($$update public.workspaces set name = 'Team B by service' where id = %L$$, :'b_workspace_id')), 1::bigint,
  'the service role renames any workspace');

-- DELETE
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'a_workspace_id', 'doomed', 'Doomed', .5, .5, .5, .5, .5);

select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format($$delete from public.workspaces where id = %L$$, :'a_workspace_id')), 0::bigint,
  'a viewer cannot delete the workspace');
select tests.authenticate_as(:'a_editor_id');
select is(tests.affected_rows(format($$delete from public.workspaces where id = %L$$, :'a_workspace_id')), 0::bigint,
  'an editor cannot delete the workspace');
select tests.authenticate_as(:'outsider');
select is(tests.affected_rows(format($$delete from public.workspaces where id = %L$$, :'a_workspace_id')), 0::bigint,
  'a non-member cannot delete the workspace');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format($$delete from public.workspaces where id = %L$$, :'a_workspace_id')), 0::bigint,
  'a platform admin cannot delete the workspace');
select tests.authenticate_as_anon();
select throws_ok($$delete from public.workspaces$$, '42501', null, 'anon may not delete workspaces');
select tests.clear_authentication();
select is((select count(*) from public.workspaces where id = :'a_workspace_id'), 1::bigint, 'the workspace survived every denied delete');

select tests.authenticate_as(:'a_owner_id');
select is(tests.affected_rows(format($$delete from public.workspaces where id = %L$$, :'a_workspace_id')), 1::bigint,
  'the owner deletes the workspace (its last owner included)');
select tests.clear_authentication();
select is((select count(*) from public.workspace_members where workspace_id = :'a_workspace_id')
          + (select count(*) from public.brand_dna where workspace_id = :'a_workspace_id')
          + (select count(*) from public.brand_dna_versions where workspace_id = :'a_workspace_id'),
  0::bigint, 'its members, brand DNA and history go with it');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format($$delete from public.workspaces where id = %L$$, :'b_workspace_id')), 1::bigint,
  'the service role deletes any workspace');

select * from finish();
rollback;
