-- Access ends when membership ends, open Realtime channels included.
--
-- Supabase Realtime runs the realtime.messages policies when a client joins a private channel and
-- when the client hands it a new access token, never per message. A member removed from a
-- workspace would keep receiving every change on the channels they had joined. So the topics the
-- database sends to now carry the workspace's access epoch, a random secret of 32 hex characters
-- kept in workspaces.realtime_epoch:
--
--   workspace:<workspace id>:<epoch>     every brand DNA change of the workspace
--   brand_dna:<brand DNA id>:<epoch>     the changes of one brand DNA
--   <either of them>:presence            presence and client broadcasts, as before
--
-- The channel policies admit members only, and only to topics of their workspace's epochs. When
-- someone loses access (removed, left, account deleted, or demoted to viewer, who may no longer
-- broadcast), the same transaction replaces the epoch with a new random one, and:
--
-- - the database sends only to the new epoch's topics, so nothing committed after the removal
--   reaches the old ones. The broadcast trigger reads the epoch FOR SHARE: a change racing the
--   removal either commits first (and goes to the old topics, before the notice below) or waits
--   for the removal and goes to the new topics;
-- - every old topic gets one last message, `topic_closed`, which tells nothing about the new epoch.
--   Clients ask for the current topics through an authorized read (public.realtime_topics(), or
--   the API's GET /workspaces/{id}/realtime and /brand-dna/{id}/realtime), which fails for whoever
--   lost access, and move there, joining with broadcast replay so that nothing sent meanwhile is
--   lost. The policies admit current members to the ended epochs' topics too (never anyone else),
--   and private.realtime_epoch_successions remembers which epoch followed which: a client that was
--   overtaken by a second change of epoch follows the chain one topic at a time, and finds each
--   topic_closed in the replay.
--
-- The topics without an epoch are no longer sent to nor readable: clients of the earlier SDK get
-- `Unauthorized` when they join them.

-- ---------------------------------------------------------------------------------------------
-- The epoch
-- ---------------------------------------------------------------------------------------------

create or replace function private.new_realtime_epoch()
returns text
language sql
volatile
set search_path = ''
as $$
  select encode(extensions.gen_random_bytes(16), 'hex')
$$;
comment on function private.new_realtime_epoch() is
  'A new Realtime access epoch: 16 random bytes as 32 lower-case hex characters (unguessable, so nobody can join the next epoch''s topics by predicting them).';
-- The service role may insert workspaces directly (and rotate: `update … set realtime_epoch = default`).
grant execute on function private.new_realtime_epoch() to service_role;

alter table public.workspaces
  add column realtime_epoch text not null default private.new_realtime_epoch()
    constraint workspaces_realtime_epoch_format check (realtime_epoch ~ '^[0-9a-f]{32}$');
comment on column public.workspaces.realtime_epoch is
  'Secret part of the workspace''s private Realtime topics (workspace:<id>:<epoch>, brand_dna:<id>:<epoch>, and their :presence side topics); readable by members only. Replaced by a new random value whenever someone loses access, which closes the old topics (see private.close_realtime_epoch()). To shut every open channel of the workspace, set it to default.';

-- updated_at means "last renamed": a new epoch is no change of the workspace itself.
drop trigger workspaces_touch_updated_at on public.workspaces;
create trigger workspaces_touch_updated_at
  before update of name on public.workspaces
  for each row execute function private.touch_updated_at();

create or replace function private.realtime_topic(family text, id uuid, epoch text)
returns text
language sql
immutable
set search_path = ''
as $$
  select family || ':' || id::text || ':' || epoch
$$;
comment on function private.realtime_topic(text, uuid, text) is
  'The private Realtime topic of a workspace (family workspace) or brand DNA (family brand_dna) in an access epoch: <family>:<id>:<epoch>. Its side topic for presence adds :presence.';

create or replace function private.realtime_catch_up_window()
returns interval
language sql
immutable
set search_path = ''
as $$
  select interval '1 minute'
$$;
comment on function private.realtime_catch_up_window() is
  'How far before an epoch began a client that moves to its topics replays (public.realtime_topics().replay_since): realtime.messages are stamped with their transaction''s start, so a change that began before the epoch changed and was sent to the new topics after it is still replayed.';

-- Which epoch followed which, for current members catching up across several changes in a row.
-- Kept as long as Realtime keeps messages (72 hours).
create table private.realtime_epoch_successions (
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  ended_epoch text not null,
  next_epoch text not null,
  ended_at timestamptz not null default now(),
  primary key (workspace_id, ended_epoch)
);
comment on table private.realtime_epoch_successions is
  'The Realtime access epochs a workspace has ended, each with the one that replaced it (written by the trigger on workspaces.realtime_epoch, kept 72 hours). Lets current members join an ended epoch''s topics and learn its successor (public.realtime_topics(..., after_epoch)); never readable by users directly.';
comment on column private.realtime_epoch_successions.workspace_id is 'The workspace.';
comment on column private.realtime_epoch_successions.ended_epoch is 'An epoch that ended (its topics got topic_closed).';
comment on column private.realtime_epoch_successions.next_epoch is 'The epoch that replaced it.';
comment on column private.realtime_epoch_successions.ended_at is 'When it ended.';
alter table private.realtime_epoch_successions enable row level security;
revoke all on private.realtime_epoch_successions from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- The channel policies: members, epochs of their workspace
-- ---------------------------------------------------------------------------------------------

-- Both policies on realtime.messages ("members receive their workspace's brand DNA broadcasts and
-- presence", "members share presence, editors broadcast, on the :presence side topics only") ask
-- this function which workspace a topic belongs to, and then whether the caller is a member (with
-- which role). It now answers for topics of the workspace's current epoch and of the epochs it
-- ended (where the database sends nothing but topic_closed), never for made-up or missing epochs.
create or replace function private.workspace_of_topic(topic text)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  parts text[] := regexp_match(topic,
    '^(brand_dna|workspace):([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}):([0-9a-f]{32})(?::presence)?$');
  found uuid;
begin
  if parts is null then
    return null;
  elsif parts[1] = 'workspace' then
    found := parts[2]::uuid;
  else
    select b.workspace_id into found from public.brand_dna b where b.id = parts[2]::uuid;
  end if;
  if exists (select 1 from public.workspaces w where w.id = found and w.realtime_epoch = parts[3])
     or exists (select 1 from private.realtime_epoch_successions s where s.workspace_id = found and s.ended_epoch = parts[3]) then
    return found;
  end if;
  return null;
end
$$;
comment on function private.workspace_of_topic(text) is
  'Workspace of a Realtime topic of one of its access epochs (the current one, or one it ended in the last 72 hours): workspace:<id>:<epoch>, brand_dna:<id>:<epoch>, or either with :presence. Null for any other topic, including made-up epochs and the epoch-less topics of before (so a bad topic is a plain denial, never a cast error).';

-- ---------------------------------------------------------------------------------------------
-- Brand DNA changes go to the current epoch's topics
-- ---------------------------------------------------------------------------------------------

-- As in 20261126120400_realtime.sql, but to the current epoch's topics. `changed` lists, in
-- alphabetical order, the columns whose value changed apart from revision, updated_at and
-- updated_by (supabase/tests/database/080_realtime.test.sql checks that none is missing).
create or replace function private.broadcast_brand_dna_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  row_now public.brand_dna := case when tg_op = 'DELETE' then old else new end;
  epoch text;
  changed text[];
  payload jsonb;
begin
  if tg_op = 'UPDATE' then
    if new.revision = old.revision then
      return null; -- no change of content, nothing to tell
    end if;
    changed := array_remove(array[
      case when new.description is distinct from old.description then 'description' end,
      case when new.density is distinct from old.density then 'density' end,
      case when new.energy is distinct from old.energy then 'energy' end,
      case when new.name is distinct from old.name then 'name' end,
      case when new.playfulness is distinct from old.playfulness then 'playfulness' end,
      case when new.preset_id is distinct from old.preset_id then 'preset_id' end,
      case when new.slug is distinct from old.slug then 'slug' end,
      case when new.sophistication is distinct from old.sophistication then 'sophistication' end,
      case when new.version is distinct from old.version then 'version' end,
      case when new.warmth is distinct from old.warmth then 'warmth' end], null);
  end if;
  -- FOR SHARE waits for a change of epoch in progress (and holds off the next one until commit),
  -- so this change reaches exactly the members of the epoch it is sent in.
  select w.realtime_epoch into epoch from public.workspaces w where w.id = row_now.workspace_id for share;
  if epoch is null then
    return null; -- the workspace is being deleted; its topics have been closed
  end if;
  payload := jsonb_build_object(
    'id', row_now.id, 'workspace_id', row_now.workspace_id, 'operation', tg_op, 'revision', row_now.revision,
    'version', row_now.version, 'actor_id', coalesce((select auth.uid()), row_now.updated_by),
    'changed', to_jsonb(changed), 'record', case when tg_op = 'DELETE' then null else to_jsonb(new) end);
  perform realtime.send(payload, tg_op, private.realtime_topic('brand_dna', row_now.id, epoch), true);
  perform realtime.send(payload, tg_op, private.realtime_topic('workspace', row_now.workspace_id, epoch), true);
  return null;
end
$$;
comment on function private.broadcast_brand_dna_change() is
  'AFTER INSERT/UPDATE/DELETE trigger on brand_dna: sends a private Realtime broadcast (event INSERT, UPDATE or DELETE) to brand_dna:<id>:<epoch> and workspace:<workspace_id>:<epoch> of the workspace''s current access epoch, with id, workspace_id, operation, revision, version, actor_id, changed columns and the new record.';

-- ---------------------------------------------------------------------------------------------
-- Closing an epoch
-- ---------------------------------------------------------------------------------------------

-- The last message of each topic of an ended epoch. It names the workspace only: whoever receives
-- it must ask for the current topics through an authorized read.
create or replace function private.close_realtime_topics(target uuid, ended_epoch text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform realtime.send(jsonb_build_object('workspace_id', target), 'topic_closed', side.topic, true)
  from (select private.realtime_topic('workspace', target, ended_epoch) as topic
        union all
        select private.realtime_topic('brand_dna', b.id, ended_epoch) from public.brand_dna b where b.workspace_id = target) base
  cross join lateral (values (base.topic), (base.topic || ':presence')) as side(topic);
end
$$;
comment on function private.close_realtime_topics(uuid, text) is
  'Sends a `topic_closed` broadcast ({workspace_id}) to every topic of the workspace in the ended epoch: workspace:<id>:<epoch>, each brand_dna:<id>:<epoch>, and their :presence side topics. Nothing is sent there afterwards.';

create or replace function private.close_realtime_epoch()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.close_realtime_topics(old.id, old.realtime_epoch);
  if tg_op = 'UPDATE' then
    delete from private.realtime_epoch_successions s where s.workspace_id = old.id and s.ended_at < now() - interval '72 hours';
    insert into private.realtime_epoch_successions (workspace_id, ended_epoch, next_epoch) values (old.id, old.realtime_epoch, new.realtime_epoch);
    return null;
  end if;
  return old;
end
$$;
comment on function private.close_realtime_epoch() is
  'Trigger on workspaces: when realtime_epoch changes (AFTER UPDATE), closes the old epoch''s topics and records which epoch followed it (forgetting successions older than 72 hours); before a workspace is deleted, closes its topics.';

create trigger workspaces_close_realtime_epoch
  after update of realtime_epoch on public.workspaces
  for each row when (old.realtime_epoch is distinct from new.realtime_epoch)
  execute function private.close_realtime_epoch();

-- BEFORE: the workspace's brand DNA (whose topics are closed too) are gone by the time AFTER
-- triggers run, deleted by the cascade.
create trigger workspaces_close_realtime_topics
  before delete on public.workspaces
  for each row execute function private.close_realtime_epoch();

-- ---------------------------------------------------------------------------------------------
-- Losing access starts a new epoch
-- ---------------------------------------------------------------------------------------------

-- Statement triggers, so that removing several members at once starts one new epoch, not one each.
-- Viewers read and share presence; editors and owners may also broadcast on the :presence side
-- topics. Going from owner to editor loses nothing Realtime knows about.
create or replace function private.renew_realtime_epoch_on_lost_access()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    update public.workspaces w set realtime_epoch = private.new_realtime_epoch()
    where w.id in (select o.workspace_id from old_members o);
  else
    update public.workspaces w set realtime_epoch = private.new_realtime_epoch()
    where w.id in (select o.workspace_id from old_members o join new_members n using (workspace_id, user_id)
                   where o.role >= 'editor' and n.role < 'editor');
  end if;
  return null;
end
$$;
comment on function private.renew_realtime_epoch_on_lost_access() is
  'AFTER DELETE / UPDATE statement trigger on workspace_members: gives each workspace where someone was removed, left, or was demoted to viewer a new Realtime access epoch (once per statement), which closes the topics they had joined.';

create trigger workspace_members_renew_realtime_epoch_on_removal
  after delete on public.workspace_members
  referencing old table as old_members
  for each statement execute function private.renew_realtime_epoch_on_lost_access();

create trigger workspace_members_renew_realtime_epoch_on_demotion
  after update on public.workspace_members
  referencing old table as old_members new table as new_members
  for each statement execute function private.renew_realtime_epoch_on_lost_access();

-- ---------------------------------------------------------------------------------------------
-- Where to listen now
-- ---------------------------------------------------------------------------------------------

create or replace function public.realtime_topics(family text, target uuid, after_epoch text default null)
returns table (workspace_id uuid, epoch text, topic text, presence_topic text, replay_since timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select w.id, e.epoch, t.topic, t.topic || ':presence', e.began_at - private.realtime_catch_up_window()
  from (select target as workspace_id where family = 'workspace'
        union all
        select b.workspace_id from public.brand_dna b where family = 'brand_dna' and b.id = target) owner
  join public.workspaces w on w.id = owner.workspace_id
  cross join lateral (
    select s.next_epoch as epoch, s.ended_at as began_at, 0 as rank
    from private.realtime_epoch_successions s where s.workspace_id = w.id and s.ended_epoch = after_epoch
    union all
    select w.realtime_epoch, now(), 1
    order by rank limit 1) e
  cross join lateral (select private.realtime_topic(family, target, e.epoch) as topic) t
  -- What RLS shows: members (and the service role) see the workspace and its brand DNA.
  where w.id = any (array(select private.member_workspace_ids())) or (select private.is_service())
$$;
comment on function public.realtime_topics(text, uuid, text) is
  'Members: the private Realtime topics of a workspace (family workspace) or brand DNA (family brand_dna) — topic for the database''s change broadcasts, presence_topic for presence and client broadcasts — in the current access epoch, or with after_epoch in the epoch that followed that one (to catch up one step at a time after a topic_closed), and replay_since, from when to replay on joining them to miss nothing. No row for anyone else, former members included. SECURITY DEFINER to read private.realtime_epoch_successions; applies the read policies of workspaces and brand_dna itself.';
revoke execute on function public.realtime_topics(text, uuid, text) from public, anon;
grant execute on function public.realtime_topics(text, uuid, text) to authenticated, service_role;

revoke execute on all functions in schema private from public;
