-- A brand DNA stays editable at every version the database accepts: the automatic PATCH bump rolls
-- over into MINOR and MAJOR instead of overflowing the 9-digit parts, and the highest version
-- stays as it is. Written both as an admin in Studio would (SQL without claims) and as an owner.
begin;
select plan(19);

select * from tests.create_team('r') \gset r_

select is(private.next_version('1.2.3'), '1.2.4', 'the next version bumps the PATCH');
select is(private.next_version('1.2.999999999'), '1.3.0', 'a PATCH at its maximum rolls over into MINOR');
select is(private.next_version('1.999999999.999999999'), '2.0.0', 'a MINOR at its maximum too rolls over into MAJOR');
select is(private.next_version('999999999.999999999.999999999'), '999999999.999999999.999999999', 'the highest version stays');
select ok((select bool_and(private.is_semver(private.next_version(v)))
           from unnest(array['0.0.0', '0.0.999999999', '0.999999999.0', '999999999.0.999999999', '999999999.999999999.999999998',
                             '999999999.999999999.999999999']) as v),
  'the next version of any valid version is a valid version');

-- As an admin in Studio: no JWT, straight SQL.
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy, version)
values (:'r_workspace_id', 'patch-max', 'Patch max', .5, .5, .5, .5, .5, '1.0.999999999') returning id as patch_max \gset
select lives_ok(format($$update public.brand_dna set name = 'Patch max, edited' where id = %L$$, :'patch_max'),
  'a brand DNA created at 1.0.999999999 can be edited');
select results_eq(format('select version, revision from public.brand_dna where id = %L', :'patch_max'),
  $$values ('1.1.0', 2)$$, 'its version rolls over to 1.1.0');
update public.brand_dna set density = .6 where id = :'patch_max';
select is((select version from public.brand_dna where id = :'patch_max'), '1.1.1', 'and the next edit bumps the PATCH again');

update public.brand_dna set version = '1.999999999.999999999' where id = :'patch_max';
update public.brand_dna set density = .7 where id = :'patch_max';
select is((select version from public.brand_dna where id = :'patch_max'), '2.0.0', 'from 1.999999999.999999999 the bump gives 2.0.0');

update public.brand_dna set version = '999999999.999999999.999999999' where id = :'patch_max';
select is((select revision from public.brand_dna where id = :'patch_max'), 6, 'setting the highest version is a new version');
select lives_ok(format($$update public.brand_dna set name = 'At the top' where id = %L$$, :'patch_max'),
  'a brand DNA at 999999999.999999999.999999999 can still be edited');
select results_eq(format('select version, revision, name from public.brand_dna where id = %L', :'patch_max'),
  $$values ('999999999.999999999.999999999', 7, 'At the top')$$, 'it keeps the highest version; the edit is revision 7');
select results_eq(format('select version, name from public.brand_dna_versions where brand_dna_id = %L and version_number = 7', :'patch_max'),
  $$values ('999999999.999999999.999999999', 'At the top')$$, 'and the edit is snapshotted');
select lives_ok(format($$update public.brand_dna set version = '1.0.0', density = .1 where id = %L$$, :'patch_max'),
  'lowering the version there is an edit like any other');
select is((select version from public.brand_dna where id = :'patch_max'), '999999999.999999999.999999999', 'the version stays at the top');

-- As the owner, through RLS, restore included.
select tests.authenticate_as(:'r_owner_id');
select lives_ok(format($$select * from public.restore_brand_dna_version(%L, 1)$$, :'patch_max'),
  'the owner restores version 1 of a brand DNA at the highest version');
select results_eq(format('select version, name, revision from public.brand_dna where id = %L', :'patch_max'),
  $$values ('999999999.999999999.999999999', 'Patch max', 9)$$, 'the restored content is revision 9, at the highest version');
select tests.authenticate_as(:'r_editor_id');
select is(tests.affected_rows(format($$update public.brand_dna set energy = .2 where id = %L$$, :'patch_max')), 1::bigint,
  'an editor edits it too');
select tests.clear_authentication();
select is((select count(*) from public.brand_dna_versions where brand_dna_id = :'patch_max'), 10::bigint,
  'every edit made a version, without gaps');

select * from finish();
rollback;
