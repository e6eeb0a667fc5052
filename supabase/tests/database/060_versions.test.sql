-- Versioning triggers on brand_dna: snapshots, revision numbers, PATCH bumps, restore, fixed
-- identity columns, and history that outlives the brand DNA.
begin;
select plan(49);

select * from tests.create_team('v') \gset v_
select * from tests.create_team('w') \gset w_

-- =============================================================================================
-- Insert → version 1
-- =============================================================================================
select tests.authenticate_as(:'v_editor_id');
insert into public.brand_dna (workspace_id, slug, name, description, density, warmth, playfulness, sophistication, energy,
                              revision, created_at, updated_by)
values (:'v_workspace_id', 'nova', 'Nova', 'First cut', .1, .2, .3, .4, .5, 42, '2000-01-01', :'v_owner_id')
returning id as bd \gset
select tests.clear_authentication();

select results_eq(format('select revision, version, created_by, updated_by from public.brand_dna where id = %L', :'bd'),
  format($$values (1, '1.0.0', %L::uuid, %L::uuid)$$, :'v_editor_id', :'v_editor_id'),
  'a new brand DNA is revision 1 at 1.0.0, created and updated by the caller (forged values ignored)');
select ok((select created_at = now() and updated_at = now() from public.brand_dna where id = :'bd'),
  'created_at and updated_at are stamped by the database');
select results_eq(format($$select version_number, slug, name, description, density, warmth, playfulness, sophistication, energy,
                                 version, restored_from, created_by, created_at = now()
                          from public.brand_dna_versions where brand_dna_id = %L$$, :'bd'),
  format($$values (1, 'nova', 'Nova', 'First cut', .1::float8, .2::float8, .3::float8, .4::float8, .5::float8,
                   '1.0.0', null::int, %L::uuid, true)$$, :'v_editor_id'),
  'the insert is snapshotted as version 1 with the full content, who and when');

-- =============================================================================================
-- Content change → next version, PATCH bumped unless raised
-- =============================================================================================
select tests.authenticate_as(:'v_owner_id');
select is(tests.affected_rows(format($$update public.brand_dna set warmth = .9, description = 'Warmer' where id = %L$$, :'bd')), 1::bigint,
  'an owner changes two fields');
select tests.clear_authentication();
select results_eq(format('select revision, version, updated_by from public.brand_dna where id = %L', :'bd'),
  format($$values (2, '1.0.1', %L::uuid)$$, :'v_owner_id'), 'the change is revision 2, PATCH bumped to 1.0.1, by the owner');
select results_eq(format($$select version_number, name, description, warmth, version, created_by
                          from public.brand_dna_versions where brand_dna_id = %L and version_number = 2$$, :'bd'),
  format($$values (2, 'Nova', 'Warmer', .9::float8, '1.0.1', %L::uuid)$$, :'v_owner_id'),
  'version 2 snapshots the new content, the bumped semver and the author');
select results_eq(format($$select density, warmth, description from public.brand_dna_versions where brand_dna_id = %L and version_number = 1$$, :'bd'),
  $$values (.1::float8, .2::float8, 'First cut')$$, 'version 1 still holds the old content');

-- No-op updates make no version.
select tests.authenticate_as(:'v_editor_id');
select is(tests.affected_rows(format($$update public.brand_dna set name = name, warmth = warmth, version = version where id = %L$$, :'bd')), 1::bigint,
  'an update that changes nothing still matches the row');
select tests.clear_authentication();
select results_eq(format('select revision, version, updated_by from public.brand_dna where id = %L', :'bd'),
  format($$values (2, '1.0.1', %L::uuid)$$, :'v_owner_id'), 'but makes no revision, no PATCH bump and no new author');
select is((select count(*) from public.brand_dna_versions where brand_dna_id = :'bd'), 2::bigint, 'and no snapshot');

select tests.authenticate_as(:'v_editor_id');
select lives_ok(format($$update public.brand_dna set preset_id = gen_random_uuid() where id = %L$$, :'bd'),
  'changing only the preset reference …');
select lives_ok(format($$update public.brand_dna set revision = 77, updated_at = '2001-01-01', updated_by = %L where id = %L$$, :'w_owner_id', :'bd'),
  '… or only the bookkeeping columns …');
select tests.clear_authentication();
select results_eq(format('select revision, updated_by, updated_at = now() from public.brand_dna where id = %L', :'bd'),
  format($$values (2, %L::uuid, true)$$, :'v_owner_id'), '… is no change of content: revision, author and time stay');
select is((select count(*) from public.brand_dna_versions where brand_dna_id = :'bd'), 2::bigint, '… and nothing is snapshotted');

-- An explicit raise is kept; a lower or equal version gets the current one's PATCH bumped.
select tests.authenticate_as(:'v_editor_id');
update public.brand_dna set version = '2.0.0', energy = .8 where id = :'bd';
select is((select version from public.brand_dna where id = :'bd'), '2.0.0', 'a raised version is kept as given');
update public.brand_dna set version = '2.1.0' where id = :'bd';
select is((select version from public.brand_dna where id = :'bd'), '2.1.0', 'raising only the version is a change of its own');
update public.brand_dna set version = '1.9.9', name = 'Nova II' where id = :'bd';
select is((select version from public.brand_dna where id = :'bd'), '2.1.1', 'a lower version gets the current PATCH bumped instead');
update public.brand_dna set version = '2.1.1', playfulness = .6 where id = :'bd';
select is((select version from public.brand_dna where id = :'bd'), '2.1.2', 'the same version gets its PATCH bumped');
update public.brand_dna set version = '2.1.10', playfulness = .7 where id = :'bd';
select is((select version from public.brand_dna where id = :'bd'), '2.1.10', 'versions compare numerically (2.1.10 > 2.1.2)');
update public.brand_dna set revision = 1000, sophistication = .9 where id = :'bd';
select is((select revision from public.brand_dna where id = :'bd'), 8, 'a forged revision is ignored: it is always the previous one plus one');
select tests.clear_authentication();
select results_eq(format('select version_number, version from public.brand_dna_versions where brand_dna_id = %L order by 1', :'bd'),
  $$values (1, '1.0.0'), (2, '1.0.1'), (3, '2.0.0'), (4, '2.1.0'), (5, '2.1.1'), (6, '2.1.2'), (7, '2.1.10'), (8, '2.1.11')$$,
  'versions are numbered 1, 2, 3 … without gaps, each with its semver');
select is((select count(distinct created_by) from public.brand_dna_versions where brand_dna_id = :'bd' and version_number > 2), 1::bigint,
  'each snapshot names the editor who made it');

-- Several rows in one statement: each gets its own next number.
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'v_workspace_id', 'orbit', 'Orbit', .5, .5, .5, .5, .5) returning id as bd2 \gset
select tests.authenticate_as(:'v_editor_id');
update public.brand_dna set name = name || ' (bulk)' where workspace_id = :'v_workspace_id';
select tests.clear_authentication();
select results_eq(format($$select brand_dna_id, max(version_number) from public.brand_dna_versions where brand_dna_id in (%L, %L)
                          group by 1 order by 2$$, :'bd2', :'bd'),
  format($$values (%L::uuid, 2), (%L::uuid, 9)$$, :'bd2', :'bd'), 'version numbers are counted per brand DNA');

-- The service role is no user: its changes are not credited to whoever edited last.
select tests.authenticate_as_service_role();
update public.brand_dna set name = 'Orbit (service)' where id = :'bd2';
select tests.clear_authentication();
select results_eq(format('select revision, updated_by from public.brand_dna where id = %L', :'bd2'),
  $$values (3, null::uuid)$$, 'a service-role change without an author leaves updated_by empty');
select is((select created_by from public.brand_dna_versions where brand_dna_id = :'bd2' and version_number = 3), null,
  'and its snapshot names no user');
select tests.authenticate_as_service_role();
update public.brand_dna set name = 'Orbit (service for owner)', updated_by = :'v_owner_id' where id = :'bd2';
select tests.clear_authentication();
select is((select created_by from public.brand_dna_versions where brand_dna_id = :'bd2' and version_number = 4), :'v_owner_id'::uuid,
  'a trusted caller may name the author itself');

-- =============================================================================================
-- Identity columns cannot change
-- =============================================================================================
select tests.authenticate_as(:'v_owner_id');
select throws_ok(format($$update public.brand_dna set id = gen_random_uuid() where id = %L$$, :'bd'), 'TK003', null, 'id cannot change');
select throws_ok(format($$update public.brand_dna set workspace_id = %L where id = %L$$, :'w_workspace_id', :'bd'), 'TK003', null,
  'workspace_id cannot change (not even to a workspace the caller could write)');
select throws_ok(format($$update public.brand_dna set created_at = now() - interval '1 day' where id = %L$$, :'bd'), 'TK003', null,
  'created_at cannot change');
select throws_ok(format($$update public.brand_dna set created_by = %L where id = %L$$, :'v_owner_id', :'bd'), 'TK003', null,
  'created_by cannot change');
select tests.authenticate_as_service_role();
select throws_ok(format($$update public.brand_dna set created_by = null where id = %L$$, :'bd'), 'TK003', null,
  'not even for the service role');

-- =============================================================================================
-- Restore
-- =============================================================================================
select tests.authenticate_as(:'v_editor_id');
select results_eq(format($$select name, description, density, warmth, energy, revision, version
                          from public.restore_brand_dna_version(%L, 1)$$, :'bd'),
  $$values ('Nova', 'First cut', .1::float8, .2::float8, .5::float8, 10, '2.1.13')$$,
  'restoring version 1 brings back its content as revision 10, with the current PATCH bumped');
select tests.clear_authentication();
select results_eq(format($$select version_number, name, description, density, warmth, playfulness, sophistication, energy, version, restored_from, created_by
                          from public.brand_dna_versions where brand_dna_id = %L and version_number = 10$$, :'bd'),
  format($$values (10, 'Nova', 'First cut', .1::float8, .2::float8, .3::float8, .4::float8, .5::float8, '2.1.13', 1, %L::uuid)$$, :'v_editor_id'),
  'the restore is a new snapshot that says where it came from and who did it');
select tests.authenticate_as(:'v_editor_id');
update public.brand_dna set energy = .55 where id = :'bd';
select tests.clear_authentication();
select results_eq(format('select version_number, restored_from from public.brand_dna_versions where brand_dna_id = %L and version_number = 11', :'bd'),
  $$values (11, null::int)$$, 'the next ordinary change is no restore');

select tests.authenticate_as(:'v_editor_id');
select throws_ok(format($$select * from public.restore_brand_dna_version(%L, 99)$$, :'bd'), 'TK004', null, 'restoring a missing version is TK004');
select throws_ok($$select * from public.restore_brand_dna_version(gen_random_uuid(), 1)$$, 'TK004', null, 'so is restoring a missing brand DNA');
select tests.authenticate_as(:'v_viewer_id');
select is_empty(format($$select * from public.restore_brand_dna_version(%L, 2)$$, :'bd'), 'a viewer''s restore changes nothing (RLS)');
select tests.authenticate_as(:'w_owner_id');
select throws_ok(format($$select * from public.restore_brand_dna_version(%L, 2)$$, :'bd'), 'TK004', null,
  'an outsider cannot even see the version (TK004, nothing revealed)');
select tests.authenticate_as_anon();
select throws_ok(format($$select * from public.restore_brand_dna_version(%L, 2)$$, :'bd'), '42501', null, 'anon cannot restore');
select tests.clear_authentication();
select is((select revision from public.brand_dna where id = :'bd'), 11, 'none of the refused restores made a revision');

-- Restoring to the content it already has is a no-op.
select tests.authenticate_as(:'v_owner_id');
select results_eq(format($$select revision from public.restore_brand_dna_version(%L, 11)$$, :'bd'), array[11],
  'restoring the current content returns the row unchanged');
select tests.clear_authentication();
select is((select count(*) from public.brand_dna_versions where brand_dna_id = :'bd'), 11::bigint, 'and adds no snapshot');

-- A PATCH that cannot be bumped any further rolls over into MINOR (it used to fail the semver
-- check, and with it every later write; 065_version_rollover.test.sql has the details).
update public.brand_dna set version = '3.0.999999999', energy = .1 where id = :'bd2';
select lives_ok(format($$update public.brand_dna set energy = .2 where id = %L$$, :'bd2'),
  'a change at PATCH 999999999 is accepted');
select results_eq(format($$select max(version_number), max(version) from public.brand_dna_versions where brand_dna_id = %L$$, :'bd2'),
  $$values (6, '3.1.0')$$, 'and its version rolls over to 3.1.0');

-- =============================================================================================
-- History outlives the brand DNA
-- =============================================================================================
select tests.authenticate_as(:'v_owner_id');
select is(tests.affected_rows(format('delete from public.brand_dna where id = %L', :'bd')), 1::bigint, 'the owner deletes the brand DNA');
select tests.clear_authentication();
select is((select count(*) from public.brand_dna_versions where brand_dna_id = :'bd'), 11::bigint, 'all eleven versions survive the delete');
select tests.authenticate_as(:'v_viewer_id');
select is((select count(*) from public.brand_dna_versions where brand_dna_id = :'bd'), 11::bigint, 'and members can still read them');
select tests.authenticate_as(:'v_editor_id');
select is_empty(format($$select * from public.restore_brand_dna_version(%L, 3)$$, :'bd'), 'restoring a deleted brand DNA brings nothing back');
select tests.clear_authentication();
select is((select count(*) from public.brand_dna where id = :'bd'), 0::bigint, 'it stays deleted');

select * from finish();
rollback;
