-- Realtime: every change of a brand DNA is broadcast privately to `brand_dna:<id>` and
-- `workspace:<workspace_id>`, and only members of the workspace may read those topics and
-- `brand_dna:<id>:presence`, where clients share who is editing (a topic of its own, because a
-- client has one channel per topic and presence must be configured before joining).

-- `changed` lists, in alphabetical order, the columns whose value changed apart from revision,
-- updated_at and updated_by (identity columns cannot change). Compared column by column: cheaper on
-- every update than diffing two jsonb rows. A new content column must be added to the list
-- (supabase/tests/database/080_realtime.test.sql checks that none is missing).
create or replace function private.broadcast_brand_dna_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  row_now public.brand_dna := case when tg_op = 'DELETE' then old else new end;
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
  payload := jsonb_build_object(
    'id', row_now.id, 'workspace_id', row_now.workspace_id, 'operation', tg_op, 'revision', row_now.revision,
    'version', row_now.version, 'actor_id', coalesce((select auth.uid()), row_now.updated_by),
    'changed', to_jsonb(changed), 'record', case when tg_op = 'DELETE' then null else to_jsonb(new) end);
  perform realtime.send(payload, tg_op, 'brand_dna:' || row_now.id, true);
  perform realtime.send(payload, tg_op, 'workspace:' || row_now.workspace_id, true);
  return null;
end
$$;
comment on function private.broadcast_brand_dna_change() is
  'AFTER INSERT/UPDATE/DELETE trigger on brand_dna: sends a private Realtime broadcast (event INSERT, UPDATE or DELETE) to brand_dna:<id> and workspace:<workspace_id> with id, workspace_id, operation, revision, version, actor_id, changed columns and the new record.';

create trigger brand_dna_broadcast
  after insert or update or delete on public.brand_dna
  for each row execute function private.broadcast_brand_dna_change();

-- Which workspace a topic belongs to, or null for topics that are not ours (or malformed, so a
-- bad topic is a plain denial rather than a cast error).
create or replace function private.workspace_of_topic(topic text)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  id_text text := substring(topic from '^(?:brand_dna|workspace):([0-9a-fA-F-]{36})(?::presence)?$');
  found uuid;
begin
  if id_text is null or id_text !~ '^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$' then
    return null;
  end if;
  if topic like 'workspace:%' then
    return id_text::uuid;
  end if;
  select b.workspace_id into found from public.brand_dna b where b.id = id_text::uuid;
  return found;
end
$$;
comment on function private.workspace_of_topic(text) is
  'Workspace of a Realtime topic brand_dna:<id>, brand_dna:<id>:presence, workspace:<id> or workspace:<id>:presence; null for any other topic.';
grant execute on function private.workspace_of_topic(text) to anon, authenticated, service_role;

create policy "members receive their workspace's brand DNA broadcasts and presence" on realtime.messages
  for select to authenticated
  using (
    extension in ('broadcast', 'presence')
    and (select private.workspace_of_topic((select realtime.topic()))) in (select private.member_workspace_ids())
  );

create policy "members share presence, editors broadcast, on their workspace's topics" on realtime.messages
  for insert to authenticated
  with check (
    (extension = 'presence'
      and (select private.workspace_of_topic((select realtime.topic()))) in (select private.member_workspace_ids()))
    or (extension = 'broadcast'
      and (select private.has_workspace_role(private.workspace_of_topic((select realtime.topic())), 'editor')))
  );

revoke execute on all functions in schema private from public;
