-- Names (workspace, brand DNA, preset, display name) as the database keeps them, also when an admin
-- writes them in Studio: NFC-normalized, and never made only of invisible characters (white space,
-- format and bidi controls, zero-width and filler characters).
begin;
select plan(32);

select tests.create_user('names@test.local') as u \gset
insert into public.workspaces (name, created_by) values ('Names', :'u') returning id as ws \gset
select set_config('fx.ws', :'ws', true) as _ws, set_config('fx.u', :'u', true) as _u \gset
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'ws', 'names', 'Names', .5, .5, .5, .5, .5) returning id as brand \gset
select set_config('fx.brand', :'brand', true) as _brand \gset
insert into public.presets (name, category, density, warmth, playfulness, sophistication, energy)
values ('Names preset', 'names', .5, .5, .5, .5, .5) returning id as preset \gset
select set_config('fx.preset', :'preset', true) as _preset \gset

-- ---------------------------------------------------------------------------------------------
-- NFC: a decomposed name ("Cafe" + U+0301 COMBINING ACUTE ACCENT) is stored composed ("Café")
-- ---------------------------------------------------------------------------------------------
update public.workspaces set name = E'Cafe\u0301 team' where id = :'ws';
select is((select name from public.workspaces where id = :'ws'), E'Caf\u00e9 team', 'a workspace name is stored in NFC');
update public.brand_dna set name = E'Cafe\u0301 brand' where id = :'brand';
select is((select name from public.brand_dna where id = :'brand'), E'Caf\u00e9 brand', 'a brand DNA name is stored in NFC');
select is((select name from public.brand_dna_versions where brand_dna_id = :'brand' order by version_number desc limit 1), E'Caf\u00e9 brand',
  'and so is its snapshot');
update public.presets set name = E'Cafe\u0301 preset' where id = :'preset';
select is((select name from public.presets where id = :'preset'), E'Caf\u00e9 preset', 'a preset name is stored in NFC');
update public.profiles set display_name = E'Ame\u0301lie' where id = :'u';
select is((select display_name from public.profiles where id = :'u'), E'Am\u00e9lie', 'a display name is stored in NFC');
insert into public.workspaces (name, created_by) values (E'A\u030angstro\u0308m', :'u') returning name as inserted \gset
select is(:'inserted'::text, E'\u00c5ngstr\u00f6m', 'inserts are normalized too');

-- Writing the same name in another form is no change: no new version.
select is((select revision from public.brand_dna where id = :'brand'), 2, 'the rename made revision 2');
update public.brand_dna set name = E'Cafe\u0301 brand' where id = :'brand';
select is((select revision from public.brand_dna where id = :'brand'), 2, 'the same name decomposed again is no change (no new version)');

-- The constraints hold even where the normalizing triggers do not run (replication, bulk loads).
alter table public.workspaces disable trigger workspaces_normalize_name;
alter table public.brand_dna disable trigger brand_dna_normalize_name;
alter table public.presets disable trigger presets_normalize_name;
alter table public.profiles disable trigger profiles_normalize_display_name;
select throws_ok($$update public.workspaces set name = E'Cafe\u0301' where id = current_setting('fx.ws')::uuid$$, '23514', null,
  'with triggers off, a decomposed workspace name is rejected');
select throws_ok($$update public.brand_dna set name = E'Cafe\u0301' where id = current_setting('fx.brand')::uuid$$, '23514', null,
  'so is a decomposed brand DNA name');
select throws_ok($$update public.presets set name = E'Cafe\u0301' where id = current_setting('fx.preset')::uuid$$, '23514', null,
  'and a decomposed preset name');
select throws_ok($$update public.profiles set display_name = E'Cafe\u0301' where id = current_setting('fx.u')::uuid$$, '23514', null,
  'and a decomposed display name');
alter table public.workspaces enable trigger workspaces_normalize_name;
alter table public.brand_dna enable trigger brand_dna_normalize_name;
alter table public.presets enable trigger presets_normalize_name;
alter table public.profiles enable trigger profiles_normalize_display_name;

-- ---------------------------------------------------------------------------------------------
-- Invisible names
-- ---------------------------------------------------------------------------------------------
create temporary table invisible (label text, name text);
insert into invisible values
  ('a zero-width space', E'\u200b'),
  ('bidi controls (RLO, PDF, LRI, PDI)', E'\u202e\u202c\u2066\u2069'),
  ('a byte-order mark and a word joiner', E'\ufeff\u2060'),
  ('a no-break space', E'\u00a0'),
  ('an ideographic space and a Hangul filler', E'\u3000\u3164'),
  ('a braille blank', E'\u2800'),
  ('variation selectors and a tag character', E'\ufe0f\U000e0041'),
  ('soft hyphens and a zero-width joiner', E'\u00ad\u00ad\u200d');

select is_empty($$select label from invisible where private.has_visible_character(name)$$,
  'has_visible_character is false for names made only of invisible characters');
select ok(private.has_visible_character(E'\u200bA\u200b') and private.has_visible_character(E'\u05e9\u05dc\u05d5\u05dd\u200f')
          and private.has_visible_character('日本') and private.has_visible_character('🎨'),
  'and true as soon as one visible character is there (with bidi marks around it, too)');

select throws_ok($$insert into public.workspaces (name) select name from invisible where label = 'a zero-width space'$$, '23514', null,
  'a workspace named with a zero-width space only is rejected');
select throws_ok($$update public.workspaces set name = E'\u202e\u202c' where id = current_setting('fx.ws')::uuid$$, '23514', null,
  'renaming a workspace to bidi controls only is rejected');
select throws_ok($$update public.brand_dna set name = E'\u3164' where id = current_setting('fx.brand')::uuid$$, '23514', null,
  'a brand DNA named with a Hangul filler only is rejected');
select throws_ok($$insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
                   values (current_setting('fx.ws')::uuid, 'invisible', E'\ufeff', .5, .5, .5, .5, .5)$$, '23514', null,
  'so is a new brand DNA named with a byte-order mark only');
select throws_ok($$update public.presets set name = E'\u00a0\u00a0' where id = current_setting('fx.preset')::uuid$$, '23514', null,
  'a preset named with no-break spaces only is rejected');
select throws_ok($$insert into public.presets (name, category, density, warmth, playfulness, sophistication, energy)
                   values (E'\u2800', 'names', .5, .5, .5, .5, .5)$$, '23514', null,
  'so is a new preset named with a braille blank');
select throws_ok($$update public.profiles set display_name = E'\u200d\u200c' where id = current_setting('fx.u')::uuid$$, '23514', null,
  'a display name of zero-width joiners is rejected');
select lives_ok($$update public.workspaces set name = E'\u200f\u05e6\u05d5\u05d5\u05ea' where id = current_setting('fx.ws')::uuid$$,
  'a right-to-left name with a direction mark is fine');

-- Constraint names the API maps to the `name` / `displayName` field.
select ok(exists (select 1 from pg_constraint where conname = c), format('constraint %s exists', c))
from unnest(array['workspaces_name_visible', 'workspaces_name_nfc', 'brand_dna_name_visible', 'brand_dna_name_nfc',
                  'presets_name_visible', 'presets_name_nfc', 'profiles_display_name_visible', 'profiles_display_name_nfc']) as c;

-- ---------------------------------------------------------------------------------------------
-- Display names that come from sign-up metadata
-- ---------------------------------------------------------------------------------------------
select tests.create_user('invisible-meta@test.local', '{}', jsonb_build_object('display_name', E'\u200b\u202e')) as invisible_user \gset
select is((select display_name from public.profiles where id = :'invisible_user'), 'invisible-meta',
  'an invisible display name in the sign-up metadata falls back to the e-mail''s local part');
select tests.create_user('decomposed-meta@test.local', '{}', jsonb_build_object('full_name', E'Zoe\u0308')) as decomposed_user \gset
select is((select display_name from public.profiles where id = :'decomposed_user'), E'Zo\u00eb',
  'a decomposed display name in the sign-up metadata is stored in NFC');

select * from finish();
rollback;
