-- Realtime access epochs: a workspace's private topics carry workspaces.realtime_epoch, a random
-- secret that is replaced whenever someone loses access (removed, left, account deleted, demoted to
-- viewer). The database sends only to the current epoch's topics and tells every old topic
-- `topic_closed` (without naming the new epoch); the channel policies admit current members only,
-- to the topics of the current epoch and of the epochs it ended (never made-up ones); members learn
-- the current topics, or the epoch that followed one, from public.realtime_topics(). Who can start
-- a new epoch and who cannot, for every kind of caller.
begin;
select plan(105);

select * from tests.create_team('a') \gset a_
select * from tests.create_team('b') \gset b_
select tests.create_user('outsider@test.local') as outsider \gset
select tests.create_user('admin@test.local', '{"role": "admin"}') as admin \gset
-- More members of A, to remove and demote one by one.
select tests.create_user('second-editor-a@test.local') as editor2 \gset
select tests.create_user('second-owner-a@test.local') as owner2 \gset
select tests.create_user('leaver-a@test.local') as leaver \gset
select tests.create_user('gone-a@test.local') as gone \gset
select tests.create_user('studio-a@test.local') as studio \gset
select tests.create_user('service-a@test.local') as serviced \gset
select tests.create_user('newcomer@test.local') as newcomer \gset
insert into public.workspace_members (workspace_id, user_id, role)
values (:'a_workspace_id', :'editor2', 'editor'), (:'a_workspace_id', :'owner2', 'owner'), (:'a_workspace_id', :'leaver', 'viewer'),
       (:'a_workspace_id', :'gone', 'viewer'), (:'a_workspace_id', :'studio', 'viewer'), (:'a_workspace_id', :'serviced', 'viewer');
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'a_workspace_id', 'one', 'One', .5, .5, .5, .5, .5) returning id as bd1 \gset
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'a_workspace_id', 'two', 'Two', .5, .5, .5, .5, .5) returning id as bd2 \gset

-- The current epoch of a workspace, read as the session user (postgres).
create function pg_temp.epoch(workspace uuid) returns text language sql as $$
  select realtime_epoch from public.workspaces where id = workspace
$$;
-- Runs a statement as the given user (the service role with as_service, postgres with neither) and
-- tells whether workspace A got a new epoch from it.
create function pg_temp.renews_epoch(actor uuid, statement text, as_service boolean default false) returns boolean language plpgsql as $$
declare
  before text := pg_temp.epoch(current_setting('tests.a_workspace')::uuid);
begin
  if as_service then
    perform tests.authenticate_as_service_role();
  elsif actor is not null then
    perform tests.authenticate_as(actor);
  end if;
  execute statement;
  perform tests.clear_authentication();
  return pg_temp.epoch(current_setting('tests.a_workspace')::uuid) <> before;
end
$$;
select set_config('tests.a_workspace', :'a_workspace_id', true);

-- =============================================================================================
-- The epoch
-- =============================================================================================
select col_not_null('public', 'workspaces', 'realtime_epoch', 'every workspace has an epoch');
select col_default_is('public', 'workspaces', 'realtime_epoch', 'private.new_realtime_epoch()', 'a new workspace draws a random epoch');
select is_empty($$select id from public.workspaces where realtime_epoch !~ '^[0-9a-f]{32}$'$$, 'epochs are 32 lower-case hex characters');
select isnt(pg_temp.epoch(:'a_workspace_id'), pg_temp.epoch(:'b_workspace_id'), 'two workspaces have different epochs');
select is((select count(distinct private.new_realtime_epoch()) from generate_series(1, 1000)), 1000::bigint,
  'a thousand new epochs are a thousand different ones (16 random bytes each, not a counter)');
select throws_ok(format($$update public.workspaces set realtime_epoch = 'next' where id = %L$$, :'a_workspace_id'), '23514', null,
  'an epoch that is not 32 hex characters is refused');
select throws_ok(format($$update public.workspaces set realtime_epoch = upper(realtime_epoch) where id = %L$$, :'a_workspace_id'), '23514', null,
  'nor upper-case hex');

-- Who reads it: members (RLS on workspaces), nobody else.
select tests.authenticate_as(:'a_viewer_id');
select is((select realtime_epoch from public.workspaces where id = :'a_workspace_id'), pg_temp.epoch(:'a_workspace_id'), 'a viewer reads the epoch');
select tests.authenticate_as(:'outsider');
select is_empty(format('select realtime_epoch from public.workspaces where id = %L', :'a_workspace_id'), 'a non-member does not');
select tests.authenticate_as(:'admin');
select is_empty(format('select realtime_epoch from public.workspaces where id = %L', :'a_workspace_id'), 'nor a platform admin who is no member');
select tests.authenticate_as_anon();
select throws_ok('select realtime_epoch from public.workspaces', '42501', null, 'nor anon');

-- Who changes it: nobody through the API roles but the service role.
select tests.authenticate_as(:'a_owner_id');
select throws_ok(format($$update public.workspaces set realtime_epoch = private.new_realtime_epoch() where id = %L$$, :'a_workspace_id'), '42501', null,
  'an owner cannot set the epoch (only the name is theirs to change)');
select tests.authenticate_as(:'a_editor_id');
select throws_ok(format($$update public.workspaces set realtime_epoch = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' where id = %L$$, :'a_workspace_id'), '42501', null,
  'an editor cannot set it');
select tests.authenticate_as(:'a_viewer_id');
select throws_ok(format($$update public.workspaces set realtime_epoch = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' where id = %L$$, :'a_workspace_id'), '42501', null,
  'a viewer cannot set it');
select tests.clear_authentication();
select ok(not pg_temp.renews_epoch(:'a_owner_id', format($$update public.workspaces set name = 'Team A, renamed' where id = %L$$, :'a_workspace_id')),
  'renaming the workspace keeps the epoch');
select ok(pg_temp.renews_epoch(null, format('update public.workspaces set realtime_epoch = default where id = %L', :'a_workspace_id'), as_service => true),
  'the service role may start a new epoch (set it to default) to shut every open channel');
select is((select updated_at from public.workspaces where id = :'a_workspace_id'), now(), 'updated_at still means the last rename');
update public.workspaces set updated_at = '2020-01-01' where id = :'a_workspace_id';
select ok(pg_temp.renews_epoch(null, format($$update public.workspaces set realtime_epoch = default where id = %L$$, :'a_workspace_id')),
  'so may postgres (Studio, the SQL editor)');
select is((select updated_at from public.workspaces where id = :'a_workspace_id'), '2020-01-01'::timestamptz, 'a new epoch does not touch updated_at');

-- =============================================================================================
-- Losing access starts a new epoch, whoever causes it; nothing else does
-- =============================================================================================
select ok(pg_temp.renews_epoch(:'a_owner_id', format('delete from public.workspace_members where workspace_id = %L and user_id = %L', :'a_workspace_id', :'a_viewer_id')),
  'an owner removing a viewer starts a new epoch');
select ok(pg_temp.renews_epoch(:'leaver', format('delete from public.workspace_members where workspace_id = %L and user_id = %L', :'a_workspace_id', :'leaver')),
  'a member leaving starts a new epoch');
select ok(pg_temp.renews_epoch(null, format('delete from public.workspace_members where workspace_id = %L and user_id = %L', :'a_workspace_id', :'serviced'), as_service => true),
  'the service role removing a member starts a new epoch');
select ok(pg_temp.renews_epoch(null, format('delete from public.workspace_members where workspace_id = %L and user_id = %L', :'a_workspace_id', :'studio')),
  'removing a member in Studio (postgres) starts a new epoch');
select ok(pg_temp.renews_epoch(null, format('delete from auth.users where id = %L', :'gone')),
  'deleting a member''s account starts a new epoch');
select ok(not pg_temp.renews_epoch(:'a_editor_id', format('delete from public.workspace_members where workspace_id = %L and user_id = %L', :'a_workspace_id', :'a_owner_id')),
  'an editor cannot remove anyone (RLS), so no new epoch');
select ok(not pg_temp.renews_epoch(:'outsider', format('delete from public.workspace_members where workspace_id = %L', :'a_workspace_id')),
  'nor can a non-member');
select ok(not pg_temp.renews_epoch(:'admin', format('delete from public.workspace_members where workspace_id = %L', :'a_workspace_id')),
  'nor a platform admin who is no member');
select ok(not pg_temp.renews_epoch(:'b_owner_id', format('delete from public.workspace_members where workspace_id = %L', :'a_workspace_id')),
  'nor the owner of another workspace');
select ok(not pg_temp.renews_epoch(:'a_owner_id', format($$update public.workspace_members set role = 'owner' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_editor_id')),
  'promoting an editor keeps the epoch');
select ok(not pg_temp.renews_epoch(:'a_owner_id', format($$update public.workspace_members set role = 'editor' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'a_editor_id')),
  'owner to editor keeps the epoch: editors may broadcast on the side topics too');
select ok(not pg_temp.renews_epoch(:'a_owner_id', format($$update public.workspace_members set role = role where workspace_id = %L$$, :'a_workspace_id')),
  'an update that changes no role keeps the epoch');
select ok(pg_temp.renews_epoch(:'a_owner_id', format($$update public.workspace_members set role = 'viewer' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'editor2')),
  'an owner demoting an editor to viewer starts a new epoch');
select ok(pg_temp.renews_epoch(:'a_owner_id', format($$update public.workspace_members set role = 'viewer' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'owner2')),
  'and an owner to viewer');
select ok(not pg_temp.renews_epoch(:'a_owner_id', format($$update public.workspace_members set role = 'editor' where workspace_id = %L and user_id = %L$$, :'a_workspace_id', :'editor2')),
  'promoting the viewer back keeps it');
select ok(not pg_temp.renews_epoch(:'a_viewer_id', format($$update public.workspace_members set role = 'viewer' where workspace_id = %L$$, :'a_workspace_id')),
  'a former member changes no role, so no new epoch');

-- Joining takes nothing from anyone.
select tests.authenticate_as(:'a_owner_id');
select token as invite_token from public.create_workspace_invitation(:'a_workspace_id', 'newcomer@test.local', 'viewer') \gset
select tests.clear_authentication();
select ok(not pg_temp.renews_epoch(:'newcomer', format($$select public.accept_workspace_invitation(invitation_token => %L)$$, :'invite_token')),
  'accepting an invitation keeps the epoch');

-- Removing several members in one statement starts one new epoch: one notice per old topic.
select pg_temp.epoch(:'a_workspace_id') as before_bulk \gset
delete from public.workspace_members where workspace_id = :'a_workspace_id' and user_id in (:'newcomer', :'editor2');
select is((select count(*) from realtime.messages where event = 'topic_closed' and topic = private.realtime_topic('workspace', :'a_workspace_id', :'before_bulk')),
  1::bigint, 'removing two members at once closes the old epoch once');
select is((select count(*) from realtime.messages where event = 'topic_closed' and topic like '%:' || pg_temp.epoch(:'a_workspace_id') || '%'),
  0::bigint, 'and the epoch it starts is not closed right away');

-- =============================================================================================
-- What a new epoch sends
-- =============================================================================================
-- A change before the removal goes to the current topics.
select pg_temp.epoch(:'a_workspace_id') as old_epoch \gset
select tests.authenticate_as(:'a_editor_id');
update public.brand_dna set energy = .7 where id = :'bd1';
select tests.clear_authentication();
select set_eq(format($$select topic from realtime.messages where event = 'UPDATE' and payload ->> 'id' = %L$$, :'bd1'),
  format($$values (%L), (%L)$$, private.realtime_topic('brand_dna', :'bd1', :'old_epoch'), private.realtime_topic('workspace', :'a_workspace_id', :'old_epoch')),
  'a change is sent to the topics of the current epoch, and no others');

select tests.authenticate_as(:'a_owner_id');
delete from public.workspace_members where workspace_id = :'a_workspace_id' and user_id = :'owner2';
select tests.clear_authentication();
select pg_temp.epoch(:'a_workspace_id') as new_epoch \gset

select set_eq(format($$select topic from realtime.messages where event = 'topic_closed' and topic like '%%:%s%%'$$, :'old_epoch'),
  format($$values (%L), (%L), (%L), (%L), (%L), (%L)$$,
    private.realtime_topic('workspace', :'a_workspace_id', :'old_epoch'), private.realtime_topic('workspace', :'a_workspace_id', :'old_epoch') || ':presence',
    private.realtime_topic('brand_dna', :'bd1', :'old_epoch'), private.realtime_topic('brand_dna', :'bd1', :'old_epoch') || ':presence',
    private.realtime_topic('brand_dna', :'bd2', :'old_epoch'), private.realtime_topic('brand_dna', :'bd2', :'old_epoch') || ':presence'),
  'every topic of the old epoch (the workspace, each brand DNA, and their presence side topics) is told topic_closed');
select is_empty(format($$select payload from realtime.messages where event = 'topic_closed' and payload::text like '%%%s%%'$$, :'new_epoch'),
  'no notice names the new epoch');
select set_eq(format($$select distinct k from realtime.messages m, jsonb_object_keys(m.payload) k where m.event = 'topic_closed' and m.topic like '%%:%s%%'$$, :'old_epoch'),
  array['workspace_id', 'id'], 'a notice carries the workspace id (and the message id realtime.send adds), nothing else');
select is_empty(format($$select topic from realtime.messages where event = 'topic_closed' and topic like '%%:%s%%'$$, :'new_epoch'),
  'nothing closes the new topics');
select is((select count(*) from realtime.messages where event = 'topic_closed' and topic like '%' || :'old_epoch' || '%' and private), 6::bigint,
  'the notices are private broadcasts');

-- Which epoch followed which is remembered, for members catching up one step at a time.
select results_eq(format($$select next_epoch, ended_at from private.realtime_epoch_successions where workspace_id = %L and ended_epoch = %L$$, :'a_workspace_id', :'old_epoch'),
  format($$values (%L, now())$$, :'new_epoch'), 'the ended epoch is recorded with its successor and when it ended');
insert into private.realtime_epoch_successions (workspace_id, ended_epoch, next_epoch, ended_at)
values (:'a_workspace_id', private.new_realtime_epoch(), private.new_realtime_epoch(), now() - interval '73 hours');
select tests.authenticate_as_service_role();
update public.workspaces set realtime_epoch = default where id = :'a_workspace_id';
select tests.clear_authentication();
select is((select count(*) from private.realtime_epoch_successions where workspace_id = :'a_workspace_id' and ended_at < now() - interval '72 hours'), 0::bigint,
  'successions older than Realtime keeps messages (72 hours) are forgotten at the next change');
select is((select next_epoch from private.realtime_epoch_successions where workspace_id = :'a_workspace_id' and ended_epoch = :'new_epoch'),
  pg_temp.epoch(:'a_workspace_id'), 'two changes in a row make a chain');
select pg_temp.epoch(:'a_workspace_id') as newest_epoch \gset

-- A change after the removal goes to the new topics only.
select tests.authenticate_as(:'a_editor_id');
update public.brand_dna set energy = .8 where id = :'bd1';
select tests.clear_authentication();
select set_eq(format($$select topic from realtime.messages where event = 'UPDATE' and (payload ->> 'revision')::int = 3 and payload ->> 'id' = %L$$, :'bd1'),
  format($$values (%L), (%L)$$, private.realtime_topic('brand_dna', :'bd1', :'newest_epoch'), private.realtime_topic('workspace', :'a_workspace_id', :'newest_epoch')),
  'a change after the removal is sent to the new epoch''s topics only');
select is_empty(format($$select 1 from realtime.messages where topic like '%%:%s%%' and event <> 'topic_closed' and (payload ->> 'revision')::int >= 3$$, :'old_epoch'),
  'the old topics get nothing after their notice');

-- =============================================================================================
-- The policies: current members, current epoch
-- =============================================================================================
select private.realtime_topic('workspace', :'a_workspace_id', :'newest_epoch') as ws_topic,
       private.realtime_topic('brand_dna', :'bd1', :'newest_epoch') as bd_topic,
       private.realtime_topic('workspace', :'a_workspace_id', :'old_epoch') as old_ws_topic,
       private.realtime_topic('brand_dna', :'bd1', :'old_epoch') as old_bd_topic \gset
select tests.jwt_claims(:'a_viewer_id') as removed, tests.jwt_claims(:'a_editor_id') as editor, tests.jwt_claims(:'a_owner_id') as owner,
       tests.jwt_claims(:'editor2') as demoted, tests.jwt_claims(:'b_owner_id') as other_owner, tests.jwt_claims(:'outsider') as outsider_claims,
       tests.jwt_claims(:'admin') as admin_claims, tests.jwt_claims(:'owner2') as removed_owner,
       '{"iss": "supabase-demo", "role": "anon", "exp": 1983812996}' as anon, '{"role": "service_role"}' as service \gset
-- editor2 was removed above; make them a member again and demote them for the demotion checks.
insert into public.workspace_members (workspace_id, user_id, role) values (:'a_workspace_id', :'editor2', 'editor');
select ok(tests.realtime_can_write(:'demoted', :'bd_topic' || ':presence', 'broadcast'), 'an editor may broadcast on the side topic');
update public.workspace_members set role = 'viewer' where workspace_id = :'a_workspace_id' and user_id = :'editor2';
select isnt(pg_temp.epoch(:'a_workspace_id'), :'newest_epoch', 'demoting them started another epoch');
select private.realtime_topic('workspace', :'a_workspace_id', pg_temp.epoch(:'a_workspace_id')) as ws_now,
       private.realtime_topic('brand_dna', :'bd1', pg_temp.epoch(:'a_workspace_id')) as bd_now \gset

-- Read, current epoch
select ok(tests.realtime_can_read(:'editor', :'bd_now', 'broadcast'), 'a remaining editor receives brand_dna:<id>:<epoch>');
select ok(tests.realtime_can_read(:'owner', :'ws_now', 'broadcast'), 'an owner receives workspace:<id>:<epoch>');
select ok(tests.realtime_can_read(:'owner', :'ws_now' || ':presence', 'presence'), 'an owner sees presence on its side topic');
select ok(tests.realtime_can_read(:'demoted', :'ws_now', 'broadcast'), 'a member demoted to viewer still receives changes');
select ok(tests.realtime_can_read(:'demoted', :'bd_now' || ':presence', 'presence'), 'and sees presence');
select ok(not tests.realtime_can_read(:'removed', :'ws_now', 'broadcast'), 'a removed member may not receive the new workspace topic');
select ok(not tests.realtime_can_read(:'removed', :'bd_now', 'broadcast'), 'nor the new brand DNA topic');
select ok(not tests.realtime_can_read(:'removed', :'bd_now' || ':presence', 'presence'), 'nor see presence on the new side topic');
select ok(not tests.realtime_can_read(:'removed_owner', :'ws_now', 'broadcast'), 'a removed owner may not either');
select ok(not tests.realtime_can_read(:'outsider_claims', :'ws_now', 'broadcast'), 'a non-member may not');
select ok(not tests.realtime_can_read(:'other_owner', :'bd_now', 'broadcast'), 'the owner of another workspace may not');
select ok(not tests.realtime_can_read(:'admin_claims', :'ws_now', 'broadcast'), 'a platform admin who is no member may not');
select ok(not tests.realtime_can_read(:'anon', :'ws_now', 'broadcast'), 'anon may not');
select ok(tests.realtime_can_read(:'service', :'ws_now', 'broadcast'), 'the service role may (it bypasses RLS)');

-- Read, other epochs and no epoch
-- Ended epochs' topics carry nothing but their topic_closed; current members may still join them,
-- to find that notice in the replay when a second change of epoch overtook them.
select ok(tests.realtime_can_read(:'owner', :'old_ws_topic', 'broadcast'), 'an owner may join an ended epoch''s topic');
select ok(tests.realtime_can_read(:'demoted', :'old_bd_topic', 'broadcast'), 'so may a member demoted since');
select ok(not tests.realtime_can_read(:'removed', :'old_ws_topic', 'broadcast'), 'the removed member may not join their own old topic again');
select ok(not tests.realtime_can_read(:'removed_owner', :'old_bd_topic', 'broadcast'), 'nor may a removed owner');
select ok(not tests.realtime_can_read(:'outsider_claims', :'old_ws_topic', 'broadcast'), 'nor a non-member');
select ok(not tests.realtime_can_read(:'owner', 'workspace:' || :'a_workspace_id', 'broadcast'), 'the epoch-less workspace topic of before is closed to all');
select ok(not tests.realtime_can_read(:'owner', 'brand_dna:' || :'bd1', 'broadcast'), 'and so is the epoch-less brand DNA topic');
select ok(not tests.realtime_can_read(:'owner', 'brand_dna:' || :'bd1' || ':presence', 'presence'), 'and its epoch-less side topic');
select ok(not tests.realtime_can_read(:'owner', 'workspace:' || :'a_workspace_id' || ':' || private.new_realtime_epoch(), 'broadcast'),
  'a made-up epoch is denied');
select ok(not tests.realtime_can_read(:'owner', 'workspace:' || :'a_workspace_id' || ':' || pg_temp.epoch(:'b_workspace_id'), 'broadcast'),
  'another workspace''s epoch is denied');
select ok(not tests.realtime_can_read(:'owner', 'workspace:' || :'a_workspace_id' || ':' || upper(pg_temp.epoch(:'a_workspace_id')), 'broadcast'),
  'the epoch is case-sensitive');
select ok(not tests.realtime_can_read(:'owner', 'workspace:' || :'a_workspace_id' || ':' || left(pg_temp.epoch(:'a_workspace_id'), 31), 'broadcast'),
  'a prefix of the epoch is denied');

-- Write: still only the side topics of the current epoch
select ok(tests.realtime_can_write(:'editor', :'bd_now' || ':presence', 'broadcast'), 'a remaining editor broadcasts on the new side topic');
select ok(tests.realtime_can_write(:'owner', :'ws_now' || ':presence', 'presence'), 'an owner shares presence there');
select ok(tests.realtime_can_write(:'demoted', :'bd_now' || ':presence', 'presence'), 'a member demoted to viewer still shares presence');
select ok(not tests.realtime_can_write(:'demoted', :'bd_now' || ':presence', 'broadcast'), 'but may no longer broadcast');
select ok(not tests.realtime_can_write(:'removed', :'bd_now' || ':presence', 'presence'), 'a removed member shares nothing on the new side topic');
select ok(not tests.realtime_can_write(:'removed', :'old_bd_topic' || ':presence', 'presence'), 'a removed member shares nothing on an old side topic either');
select ok(not tests.realtime_can_write(:'editor', 'brand_dna:' || :'bd1' || ':presence', 'broadcast'), 'nor on the epoch-less side topic');
select ok(not tests.realtime_can_write(:'owner', :'ws_now', 'broadcast', 'topic_closed', '{}'), 'no client can write a topic_closed on a database topic');

-- =============================================================================================
-- public.realtime_topics(): where members listen now
-- =============================================================================================
select private.realtime_topic('workspace', :'a_workspace_id', :'new_epoch') as new_ws_topic, pg_temp.epoch(:'a_workspace_id') as epoch_now \gset
select ok(not has_function_privilege('anon', 'public.realtime_topics(text,uuid,text)', 'execute'), 'anon cannot call realtime_topics');
select tests.authenticate_as(:'a_viewer_id');
select is_empty(format($$select * from public.realtime_topics('workspace', %L)$$, :'a_workspace_id'), 'a removed member learns no topic');
select tests.authenticate_as(:'outsider');
select is_empty(format($$select * from public.realtime_topics('brand_dna', %L)$$, :'bd1'), 'nor does a non-member');
select tests.authenticate_as(:'editor2');
select results_eq(format($$select workspace_id, epoch, topic, presence_topic, replay_since from public.realtime_topics('workspace', %L)$$, :'a_workspace_id'),
  format($$values (%L::uuid, %L, %L, %L, now() - interval '1 minute')$$, :'a_workspace_id', :'epoch_now', :'ws_now', :'ws_now' || ':presence'),
  'a member gets the workspace''s current epoch and topics, and to replay from a minute ago');
select results_eq(format($$select epoch, topic, replay_since from public.realtime_topics('workspace', %L, after_epoch => %L)$$, :'a_workspace_id', :'old_epoch'),
  format($$values (%L, %L, now() - interval '1 minute')$$, :'new_epoch', :'new_ws_topic'),
  'after an ended epoch, the one that followed it (even when it has ended too), to replay from a minute before it began');
select is((select epoch from public.realtime_topics('workspace', :'a_workspace_id', after_epoch => :'epoch_now')), :'epoch_now',
  'after the current epoch, the current one');
select is((select epoch from public.realtime_topics('brand_dna', :'bd1', after_epoch => 'not an epoch')), :'epoch_now',
  'after an unknown epoch, the current one');
select results_eq(format($$select workspace_id, topic, presence_topic from public.realtime_topics('brand_dna', %L)$$, :'bd1'),
  format($$values (%L::uuid, %L, %L)$$, :'a_workspace_id', :'bd_now', :'bd_now' || ':presence'),
  'and a brand DNA''s, with the workspace it belongs to');
select is_empty(format($$select * from public.realtime_topics('presets', %L)$$, :'a_workspace_id'), 'an unknown family has no topics');
select is_empty(format($$select * from public.realtime_topics('brand_dna', %L)$$, :'a_workspace_id'), 'a workspace id is no brand DNA');
select tests.authenticate_as_service_role();
select is((select topic from public.realtime_topics('workspace', :'a_workspace_id')), :'ws_now', 'the service role gets them too');
select tests.clear_authentication();

-- =============================================================================================
-- Deleting the workspace closes its topics
-- =============================================================================================
select pg_temp.epoch(:'b_workspace_id') as b_epoch \gset
insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
values (:'b_workspace_id', 'bee', 'Bee', .5, .5, .5, .5, .5) returning id as bd_b \gset
select tests.authenticate_as(:'b_owner_id');
delete from public.workspaces where id = :'b_workspace_id';
select tests.clear_authentication();
select set_eq(format($$select topic from realtime.messages where event = 'topic_closed' and topic like '%%:%s%%'$$, :'b_epoch'),
  format($$values (%L), (%L), (%L), (%L)$$,
    private.realtime_topic('workspace', :'b_workspace_id', :'b_epoch'), private.realtime_topic('workspace', :'b_workspace_id', :'b_epoch') || ':presence',
    private.realtime_topic('brand_dna', :'bd_b', :'b_epoch'), private.realtime_topic('brand_dna', :'bd_b', :'b_epoch') || ':presence'),
  'deleting a workspace tells each of its topics topic_closed');
select is_empty(format($$select 1 from realtime.messages where event = 'DELETE' and payload ->> 'id' = %L$$, :'bd_b'),
  'its brand DNA, deleted with it, broadcast nothing more');

-- =============================================================================================
-- The pieces
-- =============================================================================================
select trigger_is('public', 'workspace_members', 'workspace_members_renew_realtime_epoch_on_removal', 'private', 'renew_realtime_epoch_on_lost_access',
  'removals renew the epoch');
select trigger_is('public', 'workspace_members', 'workspace_members_renew_realtime_epoch_on_demotion', 'private', 'renew_realtime_epoch_on_lost_access',
  'demotions renew the epoch');
select trigger_is('public', 'workspaces', 'workspaces_close_realtime_epoch', 'private', 'close_realtime_epoch', 'a new epoch closes the old topics');
select trigger_is('public', 'workspaces', 'workspaces_close_realtime_topics', 'private', 'close_realtime_epoch', 'deleting a workspace closes its topics');
select ok(not has_function_privilege('authenticated', 'private.close_realtime_topics(uuid,text)', 'execute'),
  'users cannot close topics through the helper');
select ok(not has_table_privilege('authenticated', 'private.realtime_epoch_successions', 'select,insert,update,delete')
          and not has_table_privilege('service_role', 'private.realtime_epoch_successions', 'insert,update,delete'),
  'nobody but the trigger writes the successions, and users do not read them');
select tests.authenticate_as(:'a_viewer_id');
select is_empty(format($$select * from public.realtime_topics('workspace', %L, after_epoch => %L)$$, :'a_workspace_id', :'old_epoch'),
  'a removed member learns no successor either');
select tests.clear_authentication();

select * from finish();
rollback;
