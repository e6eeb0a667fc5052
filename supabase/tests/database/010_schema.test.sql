-- Schema shape: tables, columns and types, keys, RLS on everything, comments for Studio users,
-- indexes behind every policy, and which functions run with their owner's rights.
begin;
select plan(90);

-- ---------------------------------------------------------------------------------------------
-- Tables and columns
-- ---------------------------------------------------------------------------------------------
select tables_are('public', array['profiles', 'workspaces', 'workspace_members', 'workspace_invitations', 'brand_dna', 'brand_dna_versions', 'brand_dna_origins', 'presets'],
  'public has exactly the product tables');
select has_table('private', 'rate_limit_buckets', 'the rate-limit counters live in the private schema');
select hasnt_table('public', 'rate_limit_buckets', 'rate-limit counters are not exposed in public');

select columns_are('public', 'profiles', array['id', 'email', 'display_name', 'avatar_url', 'created_at', 'updated_at'],
  'profiles columns');
select columns_are('public', 'workspaces', array['id', 'name', 'created_by', 'created_at', 'updated_at', 'realtime_epoch'],
  'workspaces columns');
select columns_are('public', 'workspace_members', array['workspace_id', 'user_id', 'role', 'added_by', 'created_at', 'updated_at'],
  'workspace_members columns');
select columns_are('public', 'brand_dna', array['id', 'workspace_id', 'slug', 'name', 'description', 'density', 'warmth',
  'playfulness', 'sophistication', 'energy', 'version', 'revision', 'preset_id', 'created_by', 'updated_by', 'created_at', 'updated_at'],
  'brand_dna columns: exactly the five axes plus identity, naming, versioning and audit columns');
select columns_are('public', 'brand_dna_versions', array['brand_dna_id', 'version_number', 'workspace_id', 'slug', 'name',
  'description', 'density', 'warmth', 'playfulness', 'sophistication', 'energy', 'version', 'restored_from', 'created_by', 'created_at'],
  'brand_dna_versions columns: a full snapshot of the content plus who and when');
select columns_are('public', 'presets', array['id', 'name', 'description', 'category', 'tags', 'density', 'warmth', 'playfulness',
  'sophistication', 'energy', 'thumbnail_url', 'metadata', 'owner_id', 'workspace_id', 'created_by', 'created_at', 'updated_at',
  'is_builtin', 'axes', 'search_vector'],
  'presets columns');

select col_type_is('public', 'brand_dna', 'density', 'double precision', 'brand_dna.density is double precision');
select col_type_is('public', 'brand_dna', 'warmth', 'double precision', 'brand_dna.warmth is double precision');
select col_type_is('public', 'brand_dna', 'playfulness', 'double precision', 'brand_dna.playfulness is double precision');
select col_type_is('public', 'brand_dna', 'sophistication', 'double precision', 'brand_dna.sophistication is double precision');
select col_type_is('public', 'brand_dna', 'energy', 'double precision', 'brand_dna.energy is double precision');
select is_empty($$
  select a.attname from pg_attribute a
  where a.attrelid in ('public.brand_dna'::regclass, 'public.brand_dna_versions'::regclass, 'public.presets'::regclass)
    and a.attname in ('density', 'warmth', 'playfulness', 'sophistication', 'energy') and not a.attnotnull $$,
  'every axis column of brand_dna, brand_dna_versions and presets is NOT NULL');
select col_type_is('public', 'brand_dna', 'version', 'text', 'brand_dna.version is text (semver)');
select col_type_is('public', 'brand_dna', 'revision', 'integer', 'brand_dna.revision is integer');
select col_type_is('public', 'brand_dna', 'created_at', 'timestamp with time zone', 'timestamps are timestamptz');
select col_type_is('public', 'brand_dna_versions', 'version_number', 'integer', 'brand_dna_versions.version_number is integer');
select col_type_is('public', 'workspace_members', 'role', 'workspace_role', 'workspace_members.role is the workspace_role enum');
select enum_has_labels('public', 'workspace_role', array['viewer', 'editor', 'owner'], 'workspace_role is viewer < editor < owner, in that order');
select col_default_is('public', 'workspace_members', 'role', 'viewer'::public.workspace_role, 'new members are viewers by default');
select col_default_is('public', 'brand_dna', 'version', '1.0.0'::text, 'brand DNA starts at version 1.0.0');
select col_type_is('public', 'presets', 'tags', 'text[]', 'presets.tags is text[]');
select col_type_is('public', 'presets', 'metadata', 'jsonb', 'presets.metadata is jsonb');
select col_type_is('public', 'presets', 'axes', 'extensions', 'cube', 'presets.axes is a cube point');
select col_type_is('public', 'presets', 'search_vector', 'tsvector', 'presets.search_vector is a tsvector');
select ok((select bool_and(a.attgenerated = 's') from pg_attribute a
           where a.attrelid = 'public.presets'::regclass and a.attname in ('is_builtin', 'axes', 'search_vector')),
  'is_builtin, axes and search_vector are stored generated columns');

-- ---------------------------------------------------------------------------------------------
-- Keys
-- ---------------------------------------------------------------------------------------------
select col_is_pk('public', 'profiles', 'id', 'profiles are keyed by the auth user id');
select col_is_pk('public', 'workspaces', 'id', 'workspaces primary key');
select col_is_pk('public', 'workspace_members', array['workspace_id', 'user_id'], 'one membership per user and workspace');
select col_is_pk('public', 'brand_dna', 'id', 'brand_dna primary key');
select col_is_pk('public', 'brand_dna_versions', array['brand_dna_id', 'version_number'], 'one snapshot per brand DNA and number');
select col_is_pk('public', 'presets', 'id', 'presets primary key');
select fk_ok('public', 'profiles', 'id', 'auth', 'users', 'id', 'profiles.id references auth.users');
select fk_ok('public', 'workspace_members', 'workspace_id', 'public', 'workspaces', 'id', 'members reference their workspace');
select fk_ok('public', 'workspace_members', 'user_id', 'auth', 'users', 'id', 'members reference auth.users');
select fk_ok('public', 'brand_dna', 'workspace_id', 'public', 'workspaces', 'id', 'brand DNA references its workspace');
select fk_ok('public', 'brand_dna_versions', 'workspace_id', 'public', 'workspaces', 'id', 'versions reference the workspace');
select fk_ok('public', 'presets', 'workspace_id', 'public', 'workspaces', 'id', 'workspace presets reference the workspace');
select fk_ok('public', 'presets', 'owner_id', 'auth', 'users', 'id', 'personal presets reference their owner');
select is_empty($$
  select conname from pg_constraint
  where conrelid = 'public.brand_dna_versions'::regclass and contype = 'f' and confrelid = 'public.brand_dna'::regclass $$,
  'brand_dna_versions has no foreign key to brand_dna, so history survives deleting the brand DNA');
select col_is_unique('public', 'brand_dna', array['workspace_id', 'slug'], 'slugs are unique per workspace');

-- ---------------------------------------------------------------------------------------------
-- RLS everywhere, policies only for the API roles
-- ---------------------------------------------------------------------------------------------
select is_empty($$
  select c.relname from pg_class c
  where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity $$,
  'RLS is enabled on every public table');
select ok((select relrowsecurity from pg_class where oid = 'private.rate_limit_buckets'::regclass),
  'RLS is enabled on private.rate_limit_buckets too');
select is_empty($$
  select tablename, policyname from pg_policies
  where schemaname in ('public', 'realtime') and 'public' = any (roles) $$,
  'no policy is granted to PUBLIC: each names the API roles it is for');

select set_eq($$ select cmd, roles::text from pg_policies where schemaname = 'public' and tablename = 'profiles' $$,
  $$ values ('SELECT', '{authenticated}'), ('UPDATE', '{authenticated}') $$,
  'profiles: users read and update; nobody inserts or deletes through the API (the auth trigger does)');
select set_eq($$ select cmd, roles::text from pg_policies where schemaname = 'public' and tablename = 'workspaces' $$,
  $$ values ('SELECT', '{authenticated}'), ('UPDATE', '{authenticated}'), ('DELETE', '{authenticated}') $$,
  'workspaces: no INSERT policy (create_workspace() is the way in)');
select set_eq($$ select cmd, roles::text from pg_policies where schemaname = 'public' and tablename = 'workspace_members' $$,
  $$ values ('SELECT', '{authenticated}'), ('UPDATE', '{authenticated}'), ('DELETE', '{authenticated}') $$,
  'workspace_members: no INSERT policy (members join by accepting an invitation)');
select set_eq($$ select cmd, roles::text from pg_policies where schemaname = 'public' and tablename = 'brand_dna' $$,
  $$ values ('SELECT', '{authenticated}'), ('INSERT', '{authenticated}'), ('UPDATE', '{authenticated}'), ('DELETE', '{authenticated}') $$,
  'brand_dna: one policy per command');
select set_eq($$ select cmd, roles::text from pg_policies where schemaname = 'public' and tablename = 'brand_dna_versions' $$,
  $$ values ('SELECT', '{authenticated}') $$,
  'brand_dna_versions: read only (the trigger writes it)');
select set_eq($$ select cmd, roles::text from pg_policies where schemaname = 'public' and tablename = 'presets' $$,
  $$ values ('SELECT', '{anon,authenticated}'), ('SELECT', '{authenticated}'), ('INSERT', '{authenticated}'),
            ('UPDATE', '{authenticated}'), ('DELETE', '{authenticated}') $$,
  'presets: anon only reads (built-in presets)');
select set_eq($$ select cmd, roles::text from pg_policies where schemaname = 'realtime' and tablename = 'messages' $$,
  $$ values ('SELECT', '{authenticated}'), ('INSERT', '{authenticated}') $$,
  'realtime.messages: members read and write their topics');

-- Every column a policy filters on (found through the policies' own dependencies, so a new policy
-- is checked automatically) leads some index.
select set_eq($$
  select distinct c.relname::text, a.attname::text
  from pg_depend d
  join pg_policy p on p.oid = d.objid
  join pg_class c on c.oid = d.refobjid
  join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
  where d.classid = 'pg_policy'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0
    and c.relnamespace = 'public'::regnamespace $$,
  $$ values ('profiles', 'id'), ('workspaces', 'id'), ('workspace_members', 'workspace_id'), ('workspace_members', 'user_id'),
            ('workspace_invitations', 'workspace_id'), ('workspace_invitations', 'email'),
            ('brand_dna', 'workspace_id'), ('brand_dna_versions', 'workspace_id'), ('brand_dna_origins', 'workspace_id'),
            ('presets', 'is_builtin'), ('presets', 'owner_id'), ('presets', 'workspace_id') $$,
  'the columns policies filter on are the expected ones');
select is_empty($$
  select distinct c.relname, a.attname
  from pg_depend d
  join pg_class c on c.oid = d.refobjid
  join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
  where d.classid = 'pg_policy'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0
    and c.relnamespace = 'public'::regnamespace
    and not exists (select 1 from pg_index i where i.indrelid = d.refobjid and i.indkey[0] = d.refobjsubid) $$,
  'every column a policy filters on is the leading column of an index');

-- `col in (select private.member_workspace_ids())` becomes a hashed subplan checked row by row
-- (a full scan); `col = any (array(select …))` hands the index one array, computed once.
select is_empty($$
  select tablename, policyname from pg_policies
  where schemaname = 'public' and (coalesce(qual, '') || coalesce(with_check, '')) ~ 'IN \( SELECT private\.member_workspace_ids' $$,
  'no public policy filters a column with IN (SELECT member_workspace_ids()); they use = ANY (ARRAY(…)), which indexes serve');

-- ---------------------------------------------------------------------------------------------
-- Comments for the admins who meet these tables in Studio
-- ---------------------------------------------------------------------------------------------
select is_empty($$
  select c.relname from pg_class c
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind in ('r', 'p', 'v', 'm')
    and obj_description(c.oid, 'pg_class') is null $$,
  'every table in public and private has a comment');
select is_empty($$
  select c.relname, a.attname from pg_class c join pg_attribute a on a.attrelid = c.oid
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind in ('r', 'p', 'v', 'm')
    and a.attnum > 0 and not a.attisdropped and col_description(c.oid, a.attnum) is null $$,
  'every column in public and private has a comment');
select is_empty($$
  select p.oid::regprocedure from pg_proc p
  where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace) and obj_description(p.oid, 'pg_proc') is null $$,
  'every function in public and private has a comment');
select ok(obj_description('public.workspace_role'::regtype, 'pg_type') is not null, 'the workspace_role type has a comment');

-- ---------------------------------------------------------------------------------------------
-- Functions: who runs as whom, and search_path pinned everywhere
-- ---------------------------------------------------------------------------------------------
select is_empty($$
  select p.oid::regprocedure from pg_proc p
  where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
    and not coalesce('search_path=""' = any (p.proconfig), false) $$,
  'every function in public and private pins search_path to the empty string');
select set_eq($$
  select p.oid from pg_proc p
  where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace) and p.prosecdef $$,
  $$ values ('public.create_workspace(text)'::regprocedure::oid),
            ('public.add_workspace_member(uuid,text,public.workspace_role)'::regprocedure),
            ('public.create_workspace_invitation(uuid,text,public.workspace_role,interval)'::regprocedure),
            ('public.accept_workspace_invitation(uuid,text)'::regprocedure), ('public.decline_workspace_invitation(uuid,text)'::regprocedure),
            ('public.revoke_workspace_invitation(uuid)'::regprocedure), ('public.my_pending_invitations()'::regprocedure),
            ('private.confirmed_email()'::regprocedure), ('private.withdraw_invitations_of_former_owner()'::regprocedure),
            ('private.member_workspace_ids()'::regprocedure), ('private.has_workspace_role(uuid,public.workspace_role)'::regprocedure),
            ('private.keep_last_owner()'::regprocedure), ('private.sync_profile_from_auth_user()'::regprocedure),
            ('private.snapshot_brand_dna()'::regprocedure), ('private.broadcast_brand_dna_change()'::regprocedure),
            ('private.workspace_of_topic(text)'::regprocedure), ('private.learn_preset_words()'::regprocedure),
            ('private.require_live_session(uuid,uuid)'::regprocedure), ('private.close_realtime_epoch()'::regprocedure),
            ('private.renew_realtime_epoch_on_lost_access()'::regprocedure), ('public.realtime_topics(text,uuid,text)'::regprocedure),
            ('public.search_presets(text,text[],text,double precision[],double precision[],double precision[],text,double precision,text,uuid,integer)'::regprocedure) $$,
  'exactly the functions that must see past RLS are SECURITY DEFINER');
select isnt_definer('public', 'restore_brand_dna_version', array['uuid', 'integer'], 'restore runs under the caller''s RLS');
-- search_presets applies the read policies itself: under RLS its search indexes would be unusable.
select ok(pg_get_functiondef('public.search_presets(text,text[],text,double precision[],double precision[],double precision[],text,double precision,text,uuid,integer)'::regprocedure)
          ~ 'p\.is_builtin or p\.owner_id = \(select auth\.uid\(\)\)',
  'search_presets (SECURITY DEFINER) filters by the presets'' read policies itself');
select isnt_definer('public', 'preset_categories', 'preset_categories runs under the caller''s RLS');
select volatility_is('private', 'member_workspace_ids', array[]::name[], 'stable', 'member_workspace_ids is STABLE (evaluated once per statement)');

select ok(not has_function_privilege('anon', 'public.create_workspace(text)', 'execute'), 'anon cannot call create_workspace');
select ok(not has_function_privilege('anon', 'public.add_workspace_member(uuid,text,public.workspace_role)', 'execute'), 'anon cannot call add_workspace_member');
select ok(not has_function_privilege('anon', 'public.restore_brand_dna_version(uuid,integer)', 'execute'), 'anon cannot call restore_brand_dna_version');
select ok(has_function_privilege('anon', 'public.search_presets(text,text[],text,double precision[],double precision[],double precision[],text,double precision,text,uuid,integer)', 'execute'),
  'anon may search presets');
select ok(not has_function_privilege('authenticated', 'private.take_rate_limit(text,integer,integer,integer)', 'execute')
          and not has_function_privilege('anon', 'private.take_rate_limit(text,integer,integer,integer)', 'execute'),
  'users cannot touch the rate limiter');
select ok(not has_table_privilege('authenticated', 'private.rate_limit_buckets', 'select,insert,update,delete')
          and not has_table_privilege('anon', 'private.rate_limit_buckets', 'select,insert,update,delete'),
  'users have no privileges on the rate-limit table');
select is_empty($$
  select p.oid::regprocedure from pg_proc p
  where p.pronamespace = 'private'::regnamespace
    and (p.proacl is null or exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')) $$,
  'no function in private is executable by PUBLIC (the API roles get explicit grants where policies need them)');
select ok(not has_function_privilege('authenticated', 'private.sync_profile_from_auth_user()', 'execute'),
  'users cannot execute the SECURITY DEFINER trigger functions in private');

-- ---------------------------------------------------------------------------------------------
-- Triggers and search indexes
-- ---------------------------------------------------------------------------------------------
select trigger_is('auth', 'users', 'on_auth_user_changed', 'private', 'sync_profile_from_auth_user', 'auth.users creates and syncs profiles');
select trigger_is('public', 'brand_dna', 'brand_dna_prepare_write', 'private', 'prepare_brand_dna_write', 'brand_dna prepares each write');
select trigger_is('public', 'brand_dna', 'brand_dna_snapshot', 'private', 'snapshot_brand_dna', 'brand_dna snapshots each revision');
select trigger_is('public', 'brand_dna', 'brand_dna_broadcast', 'private', 'broadcast_brand_dna_change', 'brand_dna broadcasts each change');
select trigger_is('public', 'brand_dna_versions', 'brand_dna_versions_append_only', 'private', 'protect_brand_dna_versions', 'versions are append-only');
select trigger_is('public', 'workspace_members', 'workspace_members_keep_last_owner', 'private', 'keep_last_owner', 'the last owner is kept');
select trigger_is('public', 'workspace_members', 'workspace_members_freeze_identity', 'private', 'freeze_member_identity', 'memberships cannot move');
select trigger_is('public', 'presets', 'presets_prepare_write', 'private', 'prepare_preset_write', 'presets stamp creator and keep ownership');
select trigger_is('public', 'presets', 'presets_learn_words_on_insert', 'private', 'learn_preset_words', 'new presets add their words to the word list');
select trigger_is('public', 'presets', 'presets_learn_words_on_update', 'private', 'learn_preset_words', 'changed presets add their words to the word list');

select index_is_type('public', 'presets', 'presets_search_vector_idx', 'gin', 'full-text search uses a GIN index');
select index_is_type('private', 'preset_words', 'preset_words_word_trgm_idx', 'gist', 'misspelt words are looked up in a trigram GiST index of the presets'' words');
select ok(not has_table_privilege('anon', 'private.preset_words', 'select,insert,update,delete')
          and not has_table_privilege('authenticated', 'private.preset_words', 'select,insert,update,delete')
          and not has_table_privilege('service_role', 'private.preset_words', 'select,insert,update,delete'),
  'the API roles have no privileges on the presets'' word list (only search_presets reads it)');
select index_is_type('public', 'presets', 'presets_tags_idx', 'gin', 'tag filters use a GIN index');
select index_is_type('public', 'presets', 'presets_axes_idx', 'gist', 'axis ranges and nearness use a GiST index');
select has_index('public', 'brand_dna_versions', 'brand_dna_versions_workspace_id_idx', array['workspace_id'], 'history is indexed by workspace');

select * from finish();
rollback;
