-- brand_dna_origins: where an imported brand DNA came from (the studio's id, unique per workspace,
-- and its timestamps). Privileges and policies for every role, the trigger that ties a row to its
-- brand DNA's workspace, and the constraints.
begin;
select plan(36);

select * from tests.create_team('a') \gset a_
select * from tests.create_team('b') \gset b_
select tests.create_user('outsider@test.local') as outsider \gset
select tests.create_user('admin@test.local', '{"role": "admin"}') as admin \gset

insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'a_workspace_id', 'one', 'One', .1, .2, .3, .4, .5) returning id as a1 \gset
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'a_workspace_id', 'two', 'Two', .1, .2, .3, .4, .5) returning id as a2 \gset
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'b_workspace_id', 'one', 'One', .1, .2, .3, .4, .5) returning id as b1 \gset

-- Records an origin for a brand DNA as the current caller.
create function pg_temp.record_origin(brand_dna uuid, external text)
returns void
language sql
as $$
  insert into public.brand_dna_origins (brand_dna_id, external_id, source_created_at, source_updated_at, source_revision)
  values (brand_dna, external, '2024-03-01T10:00:00.123Z', '2024-03-02T11:00:00.456Z', 1)
$$;
grant execute on function pg_temp.record_origin(uuid, text) to anon, authenticated, service_role;

-- =============================================================================================
-- Shape and privileges
-- =============================================================================================
select has_table('public', 'brand_dna_origins', 'the origins table exists');
select columns_are('public', 'brand_dna_origins', array['brand_dna_id', 'workspace_id', 'external_id', 'source_created_at',
  'source_updated_at', 'source_revision', 'imported_by', 'imported_at'], 'brand_dna_origins columns');
select col_is_pk('public', 'brand_dna_origins', 'brand_dna_id', 'one origin per brand DNA');
select fk_ok('public', 'brand_dna_origins', 'brand_dna_id', 'public', 'brand_dna', 'id', 'an origin belongs to a brand DNA');
select ok((select relrowsecurity from pg_class where oid = 'public.brand_dna_origins'::regclass), 'RLS is on');
select ok(has_table_privilege('authenticated', 'public.brand_dna_origins', 'select,insert,update')
          and not has_table_privilege('authenticated', 'public.brand_dna_origins', 'delete'),
  'users read, record and update origins (RLS decides which); they go with their brand DNA');
select ok(not has_table_privilege('anon', 'public.brand_dna_origins', 'select,insert,update,delete'), 'anon has no privilege');

-- =============================================================================================
-- INSERT: editors and owners of the brand DNA's workspace
-- =============================================================================================
select tests.authenticate_as(:'a_viewer_id');
select throws_ok(format($$select pg_temp.record_origin(%L, 'brand-001')$$, :'a1'), '42501', null, 'a viewer cannot record an origin');
select tests.authenticate_as(:'outsider');
select throws_ok(format($$select pg_temp.record_origin(%L, 'brand-001')$$, :'a1'), '42501', null, 'a non-member cannot');
select tests.authenticate_as(:'admin');
select throws_ok(format($$select pg_temp.record_origin(%L, 'brand-001')$$, :'a1'), '42501', null, 'a platform admin who is no member cannot');
select tests.authenticate_as(:'b_owner_id');
select throws_ok(format($$select pg_temp.record_origin(%L, 'brand-001')$$, :'a1'), '42501', null, 'the owner of another workspace cannot');
select tests.authenticate_as_anon();
select throws_ok(format($$select pg_temp.record_origin(%L, 'brand-001')$$, :'a1'), '42501', null, 'anon cannot');

select tests.authenticate_as(:'a_editor_id');
select lives_ok(format($$select pg_temp.record_origin(%L, 'brand-001')$$, :'a1'), 'an editor records where a brand DNA came from');
select tests.authenticate_as(:'a_owner_id');
select lives_ok(format($$select pg_temp.record_origin(%L, 'brand-002')$$, :'a2'), 'so does an owner');
select tests.clear_authentication();
select results_eq(format($$select workspace_id, imported_by, source_created_at = '2024-03-01T10:00:00.123Z' from public.brand_dna_origins where brand_dna_id = %L$$, :'a1'),
  format($$values (%L::uuid, %L::uuid, true)$$, :'a_workspace_id', :'a_editor_id'),
  'the row takes its brand DNA''s workspace and the importer from the JWT; the studio''s timestamps are kept as given');

select tests.authenticate_as(:'a_owner_id');
select throws_ok(format($$select pg_temp.record_origin(%L, 'brand-001')$$, :'a2'), '23505', null, 'an external id is unique within a workspace');
select throws_ok(format($$select pg_temp.record_origin(%L, 'brand-009')$$, :'a1'), '23505', null, 'a brand DNA has one origin');
select throws_ok(format($$select pg_temp.record_origin(%L, '')$$, :'a2'), '23514', null, 'an empty external id is refused');
select throws_ok(format($$select pg_temp.record_origin(%L, ' padded ')$$, :'a2'), '23514', null, 'so is one with surrounding spaces');
select tests.authenticate_as(:'b_owner_id');
select lives_ok(format($$select pg_temp.record_origin(%L, 'brand-001')$$, :'b1'), 'another workspace may use the same external id');

-- =============================================================================================
-- SELECT: members of the workspace
-- =============================================================================================
select tests.authenticate_as(:'a_viewer_id');
select set_eq('select external_id from public.brand_dna_origins', array['brand-001', 'brand-002'], 'a viewer reads the origins of their workspace only');
select tests.authenticate_as(:'outsider');
select is_empty('select 1 from public.brand_dna_origins', 'a non-member reads none');
select tests.authenticate_as(:'admin');
select is_empty('select 1 from public.brand_dna_origins', 'a platform admin who is no member reads none');
select tests.authenticate_as(:'b_owner_id');
select set_eq('select brand_dna_id from public.brand_dna_origins', array[:'b1']::uuid[], 'members of B read B''s only');
select tests.authenticate_as_anon();
select throws_ok('select 1 from public.brand_dna_origins', '42501', null, 'anon reads nothing');
select tests.authenticate_as_service_role();
select is((select count(*) from public.brand_dna_origins where brand_dna_id in (:'a1', :'a2', :'b1')), 3::bigint, 'the service role reads all');

-- =============================================================================================
-- UPDATE: editors and owners; the row stays with its brand DNA
-- =============================================================================================
select tests.authenticate_as(:'a_viewer_id');
select is(tests.affected_rows(format($$update public.brand_dna_origins set source_revision = 2 where brand_dna_id = %L$$, :'a1')), 0::bigint,
  'a viewer changes no origin');
select tests.authenticate_as(:'b_owner_id');
select is(tests.affected_rows(format($$update public.brand_dna_origins set source_revision = 2 where brand_dna_id = %L$$, :'a1')), 0::bigint,
  'the owner of another workspace changes none');
select tests.authenticate_as(:'a_editor_id');
select is(tests.affected_rows(format($$update public.brand_dna_origins set source_revision = 2, source_updated_at = now() where brand_dna_id = %L$$, :'a1')), 1::bigint,
  'an editor updates an origin on re-import');
select throws_ok(format($$update public.brand_dna_origins set brand_dna_id = %L where brand_dna_id = %L$$, :'a2', :'a1'), 'TK003', null,
  'an origin cannot move to another brand DNA');
select throws_ok(format($$update public.brand_dna_origins set workspace_id = %L where brand_dna_id = %L$$, :'b_workspace_id', :'a1'), 'TK003', null,
  'nor to another workspace');

-- =============================================================================================
-- DELETE: with the brand DNA (and by the service role)
-- =============================================================================================
select tests.authenticate_as(:'a_owner_id');
select throws_ok(format($$delete from public.brand_dna_origins where brand_dna_id = %L$$, :'a1'), '42501', null, 'users do not delete origins');
select is(tests.affected_rows(format($$delete from public.brand_dna where id = %L$$, :'a2')), 1::bigint, 'the owner deletes a brand DNA');
select tests.clear_authentication();
select is((select count(*) from public.brand_dna_origins where brand_dna_id = :'a2'), 0::bigint, 'its origin goes with it');
select tests.authenticate_as_service_role();
select is(tests.affected_rows(format($$delete from public.brand_dna_origins where brand_dna_id = %L$$, :'b1')), 1::bigint,
  'the service role deletes origins');
select tests.authenticate_as(:'a_editor_id');
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'a_workspace_id', 'three', 'Three', .1, .2, .3, .4, .5) returning id as a3 \gset
select lives_ok(format($$select pg_temp.record_origin(%L, 'brand-002')$$, :'a3'), 'the external id of a deleted brand DNA is free again');

select * from finish();
rollback;
