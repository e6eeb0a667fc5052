-- Realtime: the broadcasts the brand_dna trigger writes into realtime.messages, and who may read
-- and write which private topics, checked the way Supabase Realtime checks them (docs/PLATFORM.md,
-- "Channel authorization"): as the superuser insert a probe row per extension, then switch to the
-- caller's role with `realtime.topic` and the JWT claims set, and see whether the probe is visible
-- (read) or whether an INSERT of (topic, extension) passes RLS (write).
begin;
select plan(71);

select * from tests.create_team('a') \gset a_
select * from tests.create_team('b') \gset b_
select tests.create_user('outsider@test.local') as outsider \gset
select tests.create_user('admin@test.local', '{"role": "admin"}') as admin \gset

-- =============================================================================================
-- What the trigger broadcasts
-- =============================================================================================
select tests.authenticate_as(:'a_editor_id');
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'a_workspace_id', 'live', 'Live', .5, .5, .5, .5, .5) returning id as bd \gset
select tests.clear_authentication();
-- The topics of the workspace's current access epoch (130_realtime_access_epochs covers epochs).
select private.realtime_topic('brand_dna', :'bd', w.realtime_epoch) as bd_topic,
       private.realtime_topic('workspace', w.id, w.realtime_epoch) as ws_topic
from public.workspaces w where w.id = :'a_workspace_id' \gset

select set_eq(format($$select topic, event, extension, private from realtime.messages where payload ->> 'id' = %L$$, :'bd'),
  format($$values (%L, 'INSERT', 'broadcast', true), (%L, 'INSERT', 'broadcast', true)$$, :'bd_topic', :'ws_topic'),
  'an insert is broadcast privately to brand_dna:<id>:<epoch> and workspace:<workspace_id>:<epoch>, event INSERT');
select set_eq(format($$select jsonb_object_keys(payload) from realtime.messages where topic = %L and event = 'INSERT'$$, :'bd_topic'),
  array['id', 'workspace_id', 'operation', 'revision', 'version', 'actor_id', 'changed', 'record'],
  'the INSERT payload carries id, workspace_id, operation, revision, version, actor_id, changed and record');
select results_eq(format($$select payload ->> 'operation', (payload ->> 'revision')::int, payload ->> 'version', (payload ->> 'actor_id')::uuid,
                                 payload -> 'record' ->> 'name', (payload ->> 'workspace_id')::uuid
                          from realtime.messages where topic = %L and event = 'INSERT'$$, :'bd_topic'),
  format($$values ('INSERT', 1, '1.0.0', %L::uuid, 'Live', %L::uuid)$$, :'a_editor_id', :'a_workspace_id'),
  'the INSERT payload says what happened, by whom, and has the new record');
select is((select payload from realtime.messages where topic = :'bd_topic' and event = 'INSERT'),
          (select payload from realtime.messages where topic = :'ws_topic' and event = 'INSERT'),
  'both topics get the same payload');

select tests.authenticate_as(:'a_owner_id');
update public.brand_dna set warmth = .9 where id = :'bd';
select tests.clear_authentication();
select set_eq(format($$select topic from realtime.messages where event = 'UPDATE' and payload ->> 'id' = %L$$, :'bd'),
  format($$values (%L), (%L)$$, :'bd_topic', :'ws_topic'), 'an update is broadcast to both topics, event UPDATE');
select set_eq(format($$select jsonb_object_keys(payload) from realtime.messages where topic = %L and event = 'UPDATE'$$, :'bd_topic'),
  array['id', 'workspace_id', 'operation', 'revision', 'version', 'actor_id', 'changed', 'record'], 'the UPDATE payload has the same keys');
select results_eq(format($$select (payload ->> 'revision')::int, payload ->> 'version', (payload ->> 'actor_id')::uuid, payload -> 'changed',
                                 (payload -> 'record' ->> 'warmth')::float8
                          from realtime.messages where topic = %L and event = 'UPDATE'$$, :'bd_topic'),
  format($$values (2, '1.0.1', %L::uuid, '["version", "warmth"]'::jsonb, .9::float8)$$, :'a_owner_id'),
  'the UPDATE payload names the new revision and version, the author, the changed columns and the new record');

select tests.authenticate_as(:'a_editor_id');
update public.brand_dna set slug = 'live-2', name = 'Live 2', description = 'Now with words', energy = .1,
                            preset_id = '7f3c1a2e-0001-4c6e-9a51-000000000001', version = '2.0.0'
where id = :'bd';
select tests.clear_authentication();
select results_eq(format($$select payload -> 'changed', (payload ->> 'revision')::int from realtime.messages
                          where topic = %L and event = 'UPDATE' and (payload ->> 'revision')::int = 3$$, :'bd_topic'),
  $$values ('["description", "energy", "name", "preset_id", "slug", "version"]'::jsonb, 3)$$,
  'changed lists every changed column in alphabetical order, and nothing else');
-- Every column that can change with a new revision is one the trigger compares.
select set_eq($$select a.attname::text from pg_attribute a
                where a.attrelid = 'public.brand_dna'::regclass and a.attnum > 0 and not a.attisdropped
                  and a.attname not in ('id', 'workspace_id', 'created_at', 'created_by', 'revision', 'updated_at', 'updated_by')$$,
  $$select m[1] from regexp_matches(pg_get_functiondef('private.broadcast_brand_dna_change()'::regprocedure),
                                    'is distinct from old\.\w+ then ''(\w+)''', 'g') as m$$,
  'the broadcast trigger compares every content column of brand_dna');
select tests.authenticate_as(:'a_owner_id');
update public.brand_dna set warmth = .9, name = 'Live 2' where id = :'bd';
select tests.clear_authentication();
select is((select count(*) from realtime.messages where event = 'UPDATE' and payload ->> 'id' = :'bd'), 4::bigint,
  'an update that changes nothing broadcasts nothing');

select tests.authenticate_as(:'a_owner_id');
delete from public.brand_dna where id = :'bd';
select tests.clear_authentication();
select set_eq(format($$select topic, event from realtime.messages where event = 'DELETE' and payload ->> 'id' = %L$$, :'bd'),
  format($$values (%L, 'DELETE'), (%L, 'DELETE')$$, :'bd_topic', :'ws_topic'), 'a delete is broadcast to both topics, event DELETE');
select results_eq(format($$select payload ->> 'operation', (payload ->> 'revision')::int, payload -> 'record', (payload ->> 'actor_id')::uuid
                          from realtime.messages where topic = %L and event = 'DELETE'$$, :'bd_topic'),
  format($$values ('DELETE', 3, 'null'::jsonb, %L::uuid)$$, :'a_owner_id'), 'the DELETE payload has the last revision and no record');
select is((select count(*) from realtime.messages where payload ->> 'id' = :'bd'), 8::bigint,
  'four changes, two topics: eight broadcasts in all');

-- A brand DNA for the authorization checks below.
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'a_workspace_id', 'topic', 'Topic', .5, .5, .5, .5, .5) returning id as bd \gset
select private.realtime_topic('brand_dna', :'bd', w.realtime_epoch) as bd_topic,
       private.realtime_topic('workspace', w.id, w.realtime_epoch) as ws_topic,
       private.realtime_topic('workspace', :'b_workspace_id', (select realtime_epoch from public.workspaces where id = :'b_workspace_id')) as b_ws_topic,
       w.realtime_epoch as epoch
from public.workspaces w where w.id = :'a_workspace_id' \gset
select tests.jwt_claims(:'a_viewer_id') as viewer, tests.jwt_claims(:'a_editor_id') as editor, tests.jwt_claims(:'a_owner_id') as owner,
       tests.jwt_claims(:'b_owner_id') as other_owner, tests.jwt_claims(:'outsider') as outsider_claims, tests.jwt_claims(:'admin') as admin_claims,
       '{"iss": "supabase-demo", "role": "anon", "exp": 1983812996}' as anon, '{"role": "service_role"}' as service \gset

-- =============================================================================================
-- Read (join) checks
-- =============================================================================================
select ok(tests.realtime_can_read(:'viewer', :'bd_topic', 'broadcast'), 'a viewer may receive broadcasts on brand_dna:<id>');
select ok(tests.realtime_can_read(:'viewer', :'bd_topic', 'presence'), 'a viewer may see presence on brand_dna:<id>');
select ok(tests.realtime_can_read(:'editor', :'bd_topic', 'broadcast'), 'an editor may receive broadcasts on brand_dna:<id>');
select ok(tests.realtime_can_read(:'owner', :'bd_topic', 'broadcast'), 'an owner may receive broadcasts on brand_dna:<id>');
select ok(tests.realtime_can_read(:'viewer', :'ws_topic', 'broadcast'), 'a viewer may receive broadcasts on workspace:<id>');
select ok(tests.realtime_can_read(:'owner', :'ws_topic', 'presence'), 'an owner may see presence on workspace:<id>');
select ok(not tests.realtime_can_read(:'outsider_claims', :'bd_topic', 'broadcast'), 'a non-member may not receive brand_dna:<id>');
select ok(not tests.realtime_can_read(:'outsider_claims', :'ws_topic', 'broadcast'), 'a non-member may not receive workspace:<id>');
select ok(not tests.realtime_can_read(:'outsider_claims', :'ws_topic', 'presence'), 'a non-member may not see presence');
select ok(not tests.realtime_can_read(:'other_owner', :'bd_topic', 'broadcast'), 'the owner of another workspace may not receive it');
select ok(not tests.realtime_can_read(:'admin_claims', :'ws_topic', 'broadcast'), 'a platform admin who is no member may not receive it');
select ok(not tests.realtime_can_read(:'anon', :'bd_topic', 'broadcast'), 'anon may not receive brand_dna:<id>');
select ok(not tests.realtime_can_read(:'anon', :'ws_topic', 'presence'), 'anon may not see presence');
select ok(tests.realtime_can_read(:'service', :'bd_topic', 'broadcast'), 'the service role may (it bypasses RLS)');
select ok(tests.realtime_can_read(:'other_owner', :'b_ws_topic', 'broadcast'), 'members of B receive B''s topic');
select ok(not tests.realtime_can_read(:'viewer', :'b_ws_topic', 'broadcast'), 'and A''s members do not');
select ok(not tests.realtime_can_read(:'viewer', :'bd_topic', 'postgres_changes'), 'only the broadcast and presence extensions are granted');

-- Malformed and foreign topics are plain denials, never errors.
select ok(not tests.realtime_can_read(:'viewer', :'bd_topic' || 'x', 'broadcast'), 'a topic with trailing junk is denied');
select ok(not tests.realtime_can_read(:'viewer', ' ' || :'bd_topic', 'broadcast'), 'a topic with leading space is denied');
select ok(not tests.realtime_can_read(:'viewer', 'brand_dna:not-a-uuid-at-all-but-36-chars-long-xx', 'broadcast'), 'a non-uuid id is denied, not a cast error');
select ok(not tests.realtime_can_read(:'viewer', 'brand_dna:' || repeat('-', 36), 'broadcast'), 'an id of 36 hyphens is denied');
select ok(not tests.realtime_can_read(:'viewer', 'BRAND_DNA:' || :'bd' || ':' || :'epoch', 'broadcast'), 'the topic prefix is case-sensitive');
select ok(not tests.realtime_can_read(:'viewer', 'brand_dna:' || :'a_workspace_id' || ':' || :'epoch', 'broadcast'), 'a workspace id is no brand DNA id');
select ok(not tests.realtime_can_read(:'viewer', 'workspace:' || gen_random_uuid() || ':' || :'epoch', 'broadcast'), 'an unknown workspace is denied');
select ok(not tests.realtime_can_read(:'viewer', 'room:' || :'a_workspace_id', 'broadcast'), 'other topic families are denied');
select ok(not tests.realtime_can_read(:'viewer', :'ws_topic' || ':extra', 'broadcast'), 'sub-topics are denied');
select ok(not tests.realtime_can_read(:'viewer', $$workspace:x' or '1'='1$$, 'broadcast'), 'SQL in a topic is just a wrong topic');
select ok(not tests.realtime_can_read(:'viewer', '', 'broadcast'), 'an empty topic is denied');

-- =============================================================================================
-- Write checks. The database's topics are read-only for every client: Realtime authorizes a
-- channel's writes once, with a probe row of topic and extension only, so no policy could tell a
-- harmless event from a forged "UPDATE". Clients talk to each other on the :presence side topics:
-- presence for members, broadcast for editors and owners.
-- =============================================================================================
select :'bd_topic' || ':presence' as bd_side, :'ws_topic' || ':presence' as ws_side \gset

select ok(not tests.realtime_can_write(:'viewer', :'bd_topic', 'broadcast'), 'a viewer may not broadcast on brand_dna:<id>');
select ok(not tests.realtime_can_write(:'viewer', :'ws_topic', 'broadcast'), 'a viewer may not broadcast on workspace:<id>');
select ok(not tests.realtime_can_write(:'editor', :'bd_topic', 'broadcast'), 'an editor may not broadcast on brand_dna:<id>');
select ok(not tests.realtime_can_write(:'editor', :'ws_topic', 'broadcast'), 'an editor may not broadcast on workspace:<id>');
select ok(not tests.realtime_can_write(:'owner', :'bd_topic', 'broadcast'), 'an owner may not broadcast on brand_dna:<id>');
select ok(not tests.realtime_can_write(:'owner', :'ws_topic', 'broadcast'), 'an owner may not broadcast on workspace:<id>');
select ok(not tests.realtime_can_write(:'viewer', :'bd_topic', 'presence'), 'presence on brand_dna:<id> is not for clients either');
select ok(not tests.realtime_can_write(:'owner', :'ws_topic', 'presence'), 'nor presence on workspace:<id>');
select ok(not tests.realtime_can_write(:'editor', :'ws_topic', 'broadcast', 'UPDATE',
                                         jsonb_build_object('id', :'bd', 'revision', 999, 'actor_id', :'a_owner_id')),
  'an editor cannot write the forged UPDATE row itself');
select ok(not tests.realtime_can_write(:'owner', :'bd_topic', 'broadcast', 'DELETE', '{}'), 'nor can an owner write a DELETE event');

select ok(tests.realtime_can_write(:'viewer', :'bd_side', 'presence'), 'a viewer may share presence on brand_dna:<id>:presence');
select ok(tests.realtime_can_write(:'viewer', :'ws_side', 'presence'), 'a viewer may share presence on workspace:<id>:presence');
select ok(not tests.realtime_can_write(:'viewer', :'bd_side', 'broadcast'), 'a viewer may not broadcast on a side topic');
select ok(tests.realtime_can_write(:'editor', :'bd_side', 'presence'), 'an editor may share presence');
select ok(tests.realtime_can_write(:'editor', :'bd_side', 'broadcast'), 'an editor may broadcast on brand_dna:<id>:presence');
select ok(tests.realtime_can_write(:'editor', :'ws_side', 'broadcast'), 'an editor may broadcast on workspace:<id>:presence');
select ok(tests.realtime_can_write(:'owner', :'ws_side', 'broadcast'), 'an owner may broadcast on a side topic');
select ok(tests.realtime_can_write(:'owner', :'bd_side', 'presence'), 'an owner may share presence');
select ok(not tests.realtime_can_write(:'outsider_claims', :'bd_side', 'presence'), 'a non-member may not share presence');
select ok(not tests.realtime_can_write(:'outsider_claims', :'ws_side', 'broadcast'), 'a non-member may not broadcast');
select ok(not tests.realtime_can_write(:'other_owner', :'bd_side', 'broadcast'), 'the owner of another workspace may not broadcast here');
select ok(not tests.realtime_can_write(:'admin_claims', :'ws_side', 'broadcast'), 'a platform admin who is no member may not broadcast');
select ok(not tests.realtime_can_write(:'anon', :'bd_side', 'presence'), 'anon may not share presence');
select ok(not tests.realtime_can_write(:'anon', :'ws_side', 'broadcast'), 'anon may not broadcast');
select ok(not tests.realtime_can_write(:'editor', :'bd_side' || 'x', 'broadcast'), 'an editor may not broadcast on a malformed topic');
select ok(not tests.realtime_can_write(:'editor', 'brand_dna:' || gen_random_uuid() || ':' || :'epoch' || ':presence', 'presence'), 'nor on the side topic of an unknown brand DNA');
select ok(not tests.realtime_can_write(:'editor', 'room:lobby:presence', 'presence'), 'nor share presence on a foreign topic');
select ok(not tests.realtime_can_write(:'editor', :'bd_side', 'postgres_changes'), 'nor write another extension');

-- =============================================================================================
-- The database's own sends still go through
-- =============================================================================================
-- realtime.send runs as the caller; the trigger function is SECURITY DEFINER, so its owner writes
-- the row. On hosted Supabase that owner is `postgres`, which has BYPASSRLS: client write policies
-- never apply to it (and realtime.send would only log a warning if they did).
select ok((select r.rolsuper or r.rolbypassrls from pg_proc p join pg_roles r on r.oid = p.proowner
           where p.oid = 'private.broadcast_brand_dna_change()'::regprocedure),
  'the broadcast trigger''s owner bypasses RLS on realtime.messages');
select tests.authenticate_as(:'a_editor_id');
update public.brand_dna set energy = .2 where id = :'bd';
select tests.clear_authentication();
select set_eq(format($$select topic from realtime.messages where event = 'UPDATE' and payload ->> 'id' = %L$$, :'bd'),
  format($$values (%L), (%L)$$, :'bd_topic', :'ws_topic'),
  'an editor''s update is still broadcast to both database topics');

select * from finish();
rollback;
