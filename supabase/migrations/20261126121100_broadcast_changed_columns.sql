-- Performance: the realtime broadcast trigger found the changed columns by turning OLD and NEW into
-- jsonb and joining two jsonb_each() sets on every update (about 40 µs of the roughly 150 µs the
-- trigger costs; bench/db.ts measured brand_dna updates at 1.5x–1.6x the cost of the same updates
-- on a table without triggers, against a goal of 1.5x). Compare the content columns directly
-- instead. The payload is unchanged: `changed` still lists, in alphabetical order, every column
-- whose value changed apart from revision, updated_at and updated_by (the identity columns cannot
-- change; see private.prepare_brand_dna_write). A new content column must be added to the list
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
