-- Policy matrix for brand_dna and brand_dna_versions: viewers read, editors write, owners also
-- delete; history is read-only for everyone but the service role. anon has no privilege on either
-- table and users none to write history (42501); denials by policy touch zero rows.
begin;
select plan(59);

select * from tests.create_team('a') \gset a_
select * from tests.create_team('b') \gset b_
select tests.create_user('outsider@test.local') as outsider \gset
select tests.create_user('admin@test.local', '{"role": "admin"}') as admin \gset

select tests.authenticate_as(:'a_owner_id');
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'a_workspace_id', 'acme', 'Acme', .5, .5, .5, .5, .5) returning id as bd_a \gset
select tests.authenticate_as(:'b_owner_id');
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'b_workspace_id', 'bravo', 'Bravo', .1, .2, .3, .4, .5) returning id as bd_b \gset

-- =============================================================================================
-- brand_dna: SELECT
-- =============================================================================================
select tests.authenticate_as_anon();
select throws_ok('select count(*) from public.brand_dna', '42501', null, 'anon may not read brand DNA at all');
select tests.authenticate_as(:'outsider');
select is((select count(*) from public.brand_dna), 0::bigint, 'a non-member reads no brand DNA');
select tests.authenticate_as(:'admin');
select is((select count(*) from public.brand_dna), 0::bigint, 'a platform admin who is no member reads no brand DNA');
select tests.authenticate_as(:'a_viewer_id');
select results_eq('select id from public.brand_dna', array[:'bd_a'::uuid], 'a viewer reads their workspace''s brand DNA only');
select tests.authenticate_as(:'a_editor_id');
select results_eq('select id from public.brand_dna', array[:'bd_a'::uuid], 'an editor reads their workspace''s brand DNA only');
select tests.authenticate_as(:'a_owner_id');
select results_eq('select id from public.brand_dna', array[:'bd_a'::uuid], 'an owner reads their workspace''s brand DNA only');
select tests.authenticate_as(:'b_owner_id');
select results_eq('select id from public.brand_dna', array[:'bd_b'::uuid], 'members of another workspace read theirs, not this one');
select tests.authenticate_as_service_role();
select is((select count(*) from public.brand_dna where id in (:'bd_a', :'bd_b')), 2::bigint, 'the service role reads all brand DNA');

-- =============================================================================================
-- brand_dna: INSERT
-- =============================================================================================
\set new_bd 'insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy) values (%L, %L, ''New'', .5, .5, .5, .5, .5)'
select tests.authenticate_as(:'a_viewer_id');
select throws_ok(format(:'new_bd', :'a_workspace_id', 'by-viewer'), '42501', null, 'a viewer cannot create brand DNA');
select tests.authenticate_as(:'outsider');
select throws_ok(format(:'new_bd', :'a_workspace_id', 'by-outsider'), '42501', null, 'a non-member cannot create brand DNA');
select tests.authenticate_as(:'admin');
select throws_ok(format(:'new_bd', :'a_workspace_id', 'by-admin'), '42501', null, 'a platform admin cannot create brand DNA in a workspace');
select tests.authenticate_as(:'b_owner_id');
select throws_ok(format(:'new_bd', :'a_workspace_id', 'by-b-owner'), '42501', null, 'the owner of another workspace cannot create brand DNA here');
select tests.authenticate_as_anon();
select throws_ok(format(:'new_bd', :'a_workspace_id', 'by-anon'), '42501', null, 'anon cannot create brand DNA');
select tests.clear_authentication();
select is((select count(*) from public.brand_dna where workspace_id = :'a_workspace_id'), 1::bigint, 'no denied insert created a row');

select tests.authenticate_as(:'a_editor_id');
select lives_ok(format(:'new_bd', :'a_workspace_id', 'by-editor'), 'an editor creates brand DNA');
select lives_ok(format($$insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy, created_by, updated_by)
                        values (%L, 'forged', 'Forged', .5, .5, .5, .5, .5, %L, %L)$$, :'a_workspace_id', :'a_owner_id', :'a_owner_id'),
  'an editor inserting with someone else''s name in created_by …');
select results_eq($$select created_by, updated_by from public.brand_dna where slug = 'forged'$$,
  format($$values (%L::uuid, %L::uuid)$$, :'a_editor_id', :'a_editor_id'), '… is recorded as the real author (from the JWT)');
select tests.authenticate_as(:'a_owner_id');
select lives_ok(format(:'new_bd', :'a_workspace_id', 'by-owner'), 'an owner creates brand DNA');
select tests.authenticate_as_service_role();
select lives_ok(format(:'new_bd', :'b_workspace_id', 'by-service'), 'the service role creates brand DNA anywhere');

-- =============================================================================================
-- brand_dna: UPDATE
-- =============================================================================================
\set rename 'update public.brand_dna set name = %L where id = %L'
select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format(:'rename', 'By viewer', :'bd_a')), 0::bigint, 'a viewer cannot change brand DNA');
select tests.authenticate_as(:'outsider');
select is(tests.affected_rows(format(:'rename', 'By outsider', :'bd_a')), 0::bigint, 'a non-member cannot change brand DNA');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format(:'rename', 'By admin', :'bd_a')), 0::bigint, 'a platform admin cannot change brand DNA');
select tests.authenticate_as(:'b_owner_id');
select is(tests.affected_rows(format(:'rename', 'By B', :'bd_a')), 0::bigint, 'the owner of another workspace cannot change it');
select tests.authenticate_as_anon();
select throws_ok($$update public.brand_dna set name = 'By anon'$$, '42501', null, 'anon may not change brand DNA');
select tests.clear_authentication();
select results_eq(format('select name, revision from public.brand_dna where id = %L', :'bd_a'), $$values ('Acme', 1)$$,
  'the brand DNA is unchanged after the denied updates (no new revision either)');

select tests.authenticate_as(:'a_editor_id');
select is(tests.affected_rows(format(:'rename', 'Acme by editor', :'bd_a')), 1::bigint, 'an editor changes brand DNA');
select throws_ok(format($$update public.brand_dna set workspace_id = %L where id = %L$$, :'b_workspace_id', :'bd_a'), 'TK003', null,
  'brand DNA cannot be moved to another workspace');
select tests.clear_authentication();
select results_eq(format('select name, updated_by from public.brand_dna where id = %L', :'bd_a'),
  format($$values ('Acme by editor', %L::uuid)$$, :'a_editor_id'), 'the editor''s change took effect and names them');
select tests.authenticate_as(:'a_owner_id');
select is(tests.affected_rows(format(:'rename', 'Acme by owner', :'bd_a')), 1::bigint, 'an owner changes brand DNA');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format(:'rename', 'Bravo by service', :'bd_b')), 1::bigint, 'the service role changes any brand DNA');

-- =============================================================================================
-- brand_dna_versions
-- =============================================================================================
select tests.authenticate_as_anon();
select throws_ok('select count(*) from public.brand_dna_versions', '42501', null, 'anon may not read history');
select tests.authenticate_as(:'outsider');
select is((select count(*) from public.brand_dna_versions), 0::bigint, 'a non-member reads no history');
select tests.authenticate_as(:'admin');
select is((select count(*) from public.brand_dna_versions), 0::bigint, 'a platform admin who is no member reads no history');
select tests.authenticate_as(:'a_viewer_id');
select results_eq(format('select version_number from public.brand_dna_versions where brand_dna_id = %L order by 1', :'bd_a'),
  array[1, 2, 3], 'a viewer reads the whole history of their brand DNA');
select is((select count(*) from public.brand_dna_versions where brand_dna_id = :'bd_b'), 0::bigint, 'but not that of another workspace');
select tests.authenticate_as_service_role();
select is((select count(*) from public.brand_dna_versions where brand_dna_id in (:'bd_a', :'bd_b')), 5::bigint, 'the service role reads all history');

\set new_version 'insert into public.brand_dna_versions (brand_dna_id, version_number, workspace_id, slug, name, density, warmth, playfulness, sophistication, energy, version) values (%L, %s, %L, ''acme'', ''Fake'', 0, 0, 0, 0, 0, ''9.9.9'')'
select tests.authenticate_as(:'a_owner_id');
select throws_ok(format(:'new_version', :'bd_a', 99, :'a_workspace_id'), '42501', null, 'an owner cannot write history');
select tests.authenticate_as(:'a_editor_id');
select throws_ok(format(:'new_version', :'bd_a', 99, :'a_workspace_id'), '42501', null, 'an editor cannot write history');
select tests.authenticate_as_anon();
select throws_ok(format(:'new_version', :'bd_a', 99, :'a_workspace_id'), '42501', null, 'anon cannot write history');

select tests.authenticate_as(:'a_owner_id');
select throws_ok(format($$update public.brand_dna_versions set name = 'Rewritten' where brand_dna_id = %L$$, :'bd_a'), '42501', null,
  'an owner cannot rewrite history');
select throws_ok(format($$delete from public.brand_dna_versions where brand_dna_id = %L$$, :'bd_a'), '42501', null,
  'an owner cannot delete history');
select tests.authenticate_as(:'a_editor_id');
select throws_ok(format($$update public.brand_dna_versions set density = 0 where brand_dna_id = %L$$, :'bd_a'), '42501', null,
  'an editor cannot rewrite history');
select tests.authenticate_as_anon();
select throws_ok($$delete from public.brand_dna_versions$$, '42501', null, 'anon cannot delete history');
select tests.clear_authentication();
select results_eq(format('select version_number, name from public.brand_dna_versions where brand_dna_id = %L order by 1', :'bd_a'),
  $$values (1, 'Acme'), (2, 'Acme by editor'), (3, 'Acme by owner')$$, 'the history is intact');

-- Even a role that bypasses RLS (the table owner, a superuser) is stopped by the trigger when it
-- acts for a user.
select set_config('request.jwt.claims', tests.jwt_claims(:'a_owner_id')::text, true) as _claims \gset
select throws_ok(format($$update public.brand_dna_versions set name = 'Rewritten' where brand_dna_id = %L$$, :'bd_a'), '42501', null,
  'the append-only trigger refuses updates from anyone acting for a user, RLS or not');
select throws_ok(format($$delete from public.brand_dna_versions where brand_dna_id = %L$$, :'bd_a'), '42501', null,
  'and deletes');
select tests.clear_authentication();

select tests.authenticate_as_service_role();
select lives_ok(format(:'new_version', :'bd_a', 99, :'a_workspace_id'), 'the service role may write history (repairs)');
select is(tests.affected_rows(format($$update public.brand_dna_versions set name = 'Repaired' where brand_dna_id = %L and version_number = 99$$, :'bd_a')), 1::bigint,
  'the service role may update history');
select is(tests.affected_rows(format($$delete from public.brand_dna_versions where brand_dna_id = %L and version_number = 99$$, :'bd_a')), 1::bigint,
  'the service role may delete history');

-- =============================================================================================
-- brand_dna: DELETE
-- =============================================================================================
\set drop 'delete from public.brand_dna where id = %L'
select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format(:'drop', :'bd_a')), 0::bigint, 'a viewer cannot delete brand DNA');
select tests.authenticate_as(:'a_editor_id');
select is(tests.affected_rows(format(:'drop', :'bd_a')), 0::bigint, 'an editor cannot delete brand DNA');
select tests.authenticate_as(:'outsider');
select is(tests.affected_rows(format(:'drop', :'bd_a')), 0::bigint, 'a non-member cannot delete brand DNA');
select tests.authenticate_as(:'admin');
select is(tests.affected_rows(format(:'drop', :'bd_a')), 0::bigint, 'a platform admin cannot delete brand DNA');
select tests.authenticate_as(:'b_owner_id');
select is(tests.affected_rows(format(:'drop', :'bd_a')), 0::bigint, 'the owner of another workspace cannot delete it');
select tests.authenticate_as_anon();
select throws_ok('delete from public.brand_dna', '42501', null, 'anon may not delete brand DNA');
select tests.clear_authentication();
select is((select count(*) from public.brand_dna where id = :'bd_a'), 1::bigint, 'the brand DNA survived every denied delete');

select tests.authenticate_as(:'a_owner_id');
select is(tests.affected_rows(format(:'drop', :'bd_a')), 1::bigint, 'an owner deletes brand DNA');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format(:'drop', :'bd_b')), 1::bigint, 'the service role deletes any brand DNA');
select tests.clear_authentication();
select is((select count(*) from public.brand_dna where id in (:'bd_a', :'bd_b')), 0::bigint, 'both are gone');

select * from finish();
rollback;
