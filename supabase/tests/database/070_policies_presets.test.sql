-- Policy matrix for presets: built-in (everyone reads, admins manage), personal (their owner) and
-- workspace presets (members read, editors manage). anon may only read (writes fail with 42501).
begin;
select plan(61);

select * from tests.create_team('a') \gset a_
select tests.create_user('outsider@test.local') as outsider \gset
select tests.create_user('admin@test.local', '{"role": "admin"}') as admin \gset
select '7f3c1a2e-0001-4c6e-9a51-000000000001' as builtin \gset

select tests.authenticate_as(:'a_viewer_id');
insert into public.presets (name, category, tags, density, warmth, playfulness, sophistication, energy, owner_id)
values ('Viewer''s own', 'personal', '{mine}', .2, .2, .2, .2, .2, :'a_viewer_id') returning id as personal \gset
select tests.authenticate_as(:'a_editor_id');
insert into public.presets (name, category, tags, density, warmth, playfulness, sophistication, energy, workspace_id)
values ('Team A house style', 'house', '{team}', .8, .8, .8, .8, .8, :'a_workspace_id') returning id as team \gset
select tests.clear_authentication();

-- =============================================================================================
-- SELECT
-- =============================================================================================
select tests.authenticate_as_anon();
select results_eq('select count(*), count(*) filter (where is_builtin) from public.presets', $$values (21::bigint, 21::bigint)$$,
  'anon reads the 21 built-in presets and nothing else');
select tests.authenticate_as(:'outsider');
select results_eq('select count(*), count(*) filter (where is_builtin) from public.presets', $$values (21::bigint, 21::bigint)$$,
  'a user with no presets or workspaces reads the built-in presets only');
select tests.authenticate_as(:'a_viewer_id');
select set_eq('select id from public.presets where not is_builtin', array[:'personal', :'team']::uuid[],
  'a viewer reads their personal preset and their workspace''s');
select tests.authenticate_as(:'a_editor_id');
select set_eq('select id from public.presets where not is_builtin', array[:'team']::uuid[],
  'an editor reads the workspace''s preset, not a teammate''s personal one');
select tests.authenticate_as(:'a_owner_id');
select set_eq('select id from public.presets where not is_builtin', array[:'team']::uuid[],
  'an owner reads the workspace''s preset, not a teammate''s personal one');
select tests.authenticate_as(:'admin');
select results_eq('select count(*), count(*) filter (where is_builtin) from public.presets', $$values (21::bigint, 21::bigint)$$,
  'a platform admin reads the built-in presets, not other people''s');
select tests.authenticate_as_service_role();
select is((select count(*) from public.presets where id in (:'personal', :'team', :'builtin')), 3::bigint, 'the service role reads every preset');

select tests.authenticate_as_anon();
select is((select preset_count from public.preset_categories() where category = 'tech'), 3::bigint,
  'preset_categories counts the built-in tech presets for anon');
select is((select count(*) from public.preset_categories() where category in ('personal', 'house')), 0::bigint,
  'and shows anon no category of custom presets');
select tests.authenticate_as(:'a_viewer_id');
select set_eq($$select category, preset_count from public.preset_categories() where category in ('personal', 'house')$$,
  $$values ('personal', 1::bigint), ('house', 1::bigint)$$, 'preset_categories counts what the caller may read');

-- =============================================================================================
-- INSERT
-- =============================================================================================
\set new_builtin 'insert into public.presets (name, category, density, warmth, playfulness, sophistication, energy) values (%L, ''tech'', .5, .5, .5, .5, .5)'
\set new_personal 'insert into public.presets (name, category, density, warmth, playfulness, sophistication, energy, owner_id) values (%L, ''tech'', .5, .5, .5, .5, .5, %L)'
\set new_team 'insert into public.presets (name, category, density, warmth, playfulness, sophistication, energy, workspace_id) values (%L, ''tech'', .5, .5, .5, .5, .5, %L)'

select tests.authenticate_as(:'a_owner_id');
select throws_ok(format(:'new_builtin', 'Owner built-in'), '42501', null, 'a workspace owner cannot create built-in presets');
select tests.authenticate_as(:'outsider');
select throws_ok(format(:'new_builtin', 'Outsider built-in'), '42501', null, 'a user cannot create built-in presets');
select throws_ok(format(:'new_personal', 'For someone else', :'a_owner_id'), '42501', null, 'a user cannot create a preset for someone else');
select throws_ok(format(:'new_team', 'Sneaked in', :'a_workspace_id'), '42501', null, 'a non-member cannot create workspace presets');
select lives_ok(format(:'new_personal', 'Outsider''s own', :'outsider'), 'any user creates a personal preset');
select tests.authenticate_as(:'a_viewer_id');
select throws_ok(format(:'new_team', 'Viewer team preset', :'a_workspace_id'), '42501', null, 'a viewer cannot create workspace presets');
select tests.authenticate_as(:'a_editor_id');
select lives_ok(format(:'new_team', 'Editor team preset', :'a_workspace_id'), 'an editor creates workspace presets');
select tests.authenticate_as(:'a_owner_id');
select lives_ok(format(:'new_team', 'Owner team preset', :'a_workspace_id'), 'an owner creates workspace presets');
select tests.authenticate_as(:'admin');
select throws_ok(format(:'new_team', 'Admin team preset', :'a_workspace_id'), '42501', null, 'a platform admin cannot create presets in a workspace');
select lives_ok(format(:'new_builtin', 'Admin built-in'), 'a platform admin creates built-in presets');
select tests.authenticate_as_anon();
select throws_ok(format(:'new_builtin', 'Anon built-in'), '42501', null, 'anon cannot create built-in presets');
select throws_ok(format(:'new_personal', 'Anon personal', :'outsider'), '42501', null, 'anon cannot create personal presets');
select tests.authenticate_as_service_role();
select lives_ok(format(:'new_builtin', 'Service built-in'), 'the service role creates built-in presets');
select tests.clear_authentication();
select results_eq($$select name, is_builtin, created_by from public.presets where name in ('Admin built-in', 'Service built-in') order by name$$,
  format($$values ('Admin built-in', true, %L::uuid), ('Service built-in', true, null::uuid)$$, :'admin'),
  'new built-in presets are readable as built-in and record their creator');
select is((select count(*) from public.presets where name in ('Owner built-in', 'Outsider built-in', 'For someone else', 'Sneaked in',
                                                             'Viewer team preset', 'Admin team preset', 'Anon built-in', 'Anon personal')),
  0::bigint, 'no denied insert created a preset');

-- =============================================================================================
-- UPDATE
-- =============================================================================================
\set touch 'update public.presets set description = %L where id = %L'
-- built-in
select tests.authenticate_as(:'a_owner_id');
select is(tests.affected_rows(format(:'touch', 'by owner', :'builtin')), 0::bigint, 'a workspace owner cannot edit built-in presets');
select tests.authenticate_as(:'outsider');
select is(tests.affected_rows(format(:'touch', 'by outsider', :'builtin')), 0::bigint, 'a user cannot edit built-in presets');
select tests.authenticate_as_anon();
select throws_ok(format(:'touch', 'by anon', :'builtin'), '42501', null, 'anon cannot edit built-in presets');
select tests.clear_authentication();
select isnt((select description from public.presets where id = :'builtin'), 'by anon', 'the built-in preset is unchanged');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format(:'touch', 'Curated by an admin.', :'builtin')), 1::bigint, 'a platform admin edits built-in presets');
select throws_ok(format($$update public.presets set owner_id = %L where id = %L$$, :'admin', :'builtin'), 'TK003', null,
  'a built-in preset cannot be turned into a personal one');
select tests.clear_authentication();
select is((select description from public.presets where id = :'builtin'), 'Curated by an admin.', 'the admin''s edit took effect');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format(:'touch', 'by service', :'builtin')), 1::bigint, 'the service role edits built-in presets');

-- personal
select tests.authenticate_as(:'a_editor_id');
select is(tests.affected_rows(format(:'touch', 'by teammate', :'personal')), 0::bigint, 'a teammate cannot edit someone''s personal preset');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format(:'touch', 'by admin', :'personal')), 0::bigint, 'a platform admin cannot edit someone''s personal preset');
select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format(:'touch', 'mine', :'personal')), 1::bigint, 'the owner edits their personal preset');
select throws_ok(format($$update public.presets set owner_id = null, workspace_id = %L where id = %L$$, :'a_workspace_id', :'personal'), 'TK003', null,
  'a personal preset cannot be moved into a workspace');
select tests.clear_authentication();
select is((select description from public.presets where id = :'personal'), 'mine', 'only the owner''s edit took effect');

-- workspace
select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format(:'touch', 'by viewer', :'team')), 0::bigint, 'a viewer cannot edit workspace presets');
select tests.authenticate_as(:'outsider');
select is(tests.affected_rows(format(:'touch', 'by outsider', :'team')), 0::bigint, 'a non-member cannot edit workspace presets');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format(:'touch', 'by admin', :'team')), 0::bigint, 'a platform admin cannot edit workspace presets');
select tests.clear_authentication();
select is((select description from public.presets where id = :'team'), '', 'the workspace preset is unchanged');
select tests.authenticate_as(:'a_editor_id');
select is(tests.affected_rows(format(:'touch', 'by editor', :'team')), 1::bigint, 'an editor edits workspace presets');
select throws_ok(format($$update public.presets set created_by = %L where id = %L$$, :'a_owner_id', :'team'), 'TK003', null,
  'the creator of a preset cannot be changed');
select tests.authenticate_as(:'a_owner_id');
select is(tests.affected_rows(format(:'touch', 'by owner', :'team')), 1::bigint, 'an owner edits workspace presets');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format(:'touch', 'by service', :'team')), 1::bigint, 'the service role edits workspace presets');

-- =============================================================================================
-- DELETE
-- =============================================================================================
\set drop 'delete from public.presets where id = %L'
select tests.authenticate_as(:'a_owner_id');
select is(tests.affected_rows(format(:'drop', :'builtin')), 0::bigint, 'a workspace owner cannot delete built-in presets');
select is(tests.affected_rows(format(:'drop', :'personal')), 0::bigint, 'an owner cannot delete a member''s personal preset');
select tests.authenticate_as_anon();
select throws_ok('delete from public.presets', '42501', null, 'anon may not delete presets');
select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format(:'drop', :'team')), 0::bigint, 'a viewer cannot delete workspace presets');
select tests.authenticate_as(:'outsider');
select is(tests.affected_rows(format(:'drop', :'team')), 0::bigint, 'a non-member cannot delete workspace presets');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format(:'drop', :'team')), 0::bigint, 'a platform admin cannot delete workspace presets');
select is(tests.affected_rows(format(:'drop', :'personal')), 0::bigint, 'a platform admin cannot delete personal presets');
select tests.clear_authentication();
select is((select count(*) from public.presets where id in (:'builtin', :'personal', :'team')), 3::bigint, 'every preset survived the denied deletes');

select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format(:'drop', :'personal')), 1::bigint, 'the owner deletes their personal preset');
select tests.authenticate_as(:'a_editor_id');
select is(tests.affected_rows(format(:'drop', :'team')), 1::bigint, 'an editor deletes workspace presets');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format(:'drop', :'builtin')), 1::bigint, 'a platform admin deletes built-in presets');
select tests.authenticate_as_service_role();
select is(tests.affected_rows($$delete from public.presets where name = 'Outsider''s own'$$), 1::bigint, 'the service role deletes any preset');
select tests.clear_authentication();
select is((select count(*) from public.presets where id in (:'builtin', :'personal', :'team')), 0::bigint, 'the allowed deletes took effect');

-- Presets go with their owner: deleting the account or the workspace removes them.
select tests.authenticate_as(:'a_owner_id');
insert into public.presets (name, category, density, warmth, playfulness, sophistication, energy, owner_id)
values ('Owner''s own', 'tech', .5, .5, .5, .5, .5, :'a_owner_id');
select tests.clear_authentication();
delete from public.workspaces where id = :'a_workspace_id';
delete from auth.users where id = :'a_owner_id';
select is((select count(*) from public.presets where workspace_id = :'a_workspace_id' or owner_id = :'a_owner_id'), 0::bigint,
  'workspace presets go with the workspace and personal ones with the account');
select is((select count(*) from public.presets where is_builtin), 22::bigint, 'built-in presets stay');

select * from finish();
rollback;
