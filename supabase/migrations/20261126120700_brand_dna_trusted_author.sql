-- Fix: a change made without a JWT subject (service role, Studio's table editor, scripts) was
-- credited to whoever had changed the brand DNA before: the BEFORE UPDATE trigger kept the old
-- updated_by, and the snapshot in brand_dna_versions named that person as the author of a change they
-- never made. Now such a change is by the user the caller names in updated_by, or by no user (null).
-- Limitation: a row trigger cannot tell an updated_by left alone from one set to its old value, so a
-- trusted caller that names the previous author again records no author.

create or replace function private.prepare_brand_dna_write()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  actor uuid := (select auth.uid());
  parts int[];
begin
  if tg_op = 'INSERT' then
    new.revision := 1;
    new.created_at := now();
    new.updated_at := new.created_at;
    new.created_by := coalesce(actor, new.created_by);
    new.updated_by := new.created_by;
    return new;
  end if;

  if new.id <> old.id or new.workspace_id <> old.workspace_id or new.created_at <> old.created_at
     or new.created_by is distinct from old.created_by then
    raise exception 'id, workspace_id, created_at and created_by of a brand DNA cannot change'
      using errcode = 'TK003';
  end if;

  if (new.slug, new.name, new.description, new.density, new.warmth, new.playfulness,
      new.sophistication, new.energy, new.version)
     is not distinct from
     (old.slug, old.name, old.description, old.density, old.warmth, old.playfulness,
      old.sophistication, old.energy, old.version) then
    -- No change of content: no new revision, no snapshot.
    new.revision := old.revision;
    new.updated_at := old.updated_at;
    new.updated_by := old.updated_by;
    return new;
  end if;

  -- A change that does not raise the version gets the PATCH of the current version bumped.
  if private.is_semver(new.version) and private.is_semver(old.version)
     and private.semver_parts(new.version) <= private.semver_parts(old.version) then
    parts := private.semver_parts(old.version);
    new.version := format('%s.%s.%s', parts[1], parts[2], parts[3] + 1);
  end if;
  -- The row lock serialises concurrent updates, so OLD is the latest committed row and
  -- revisions never repeat or skip.
  new.revision := old.revision + 1;
  new.updated_at := now();
  -- A trusted caller (service role, Studio, migrations) has no JWT subject: the change is by whoever
  -- it names in updated_by, or by no user at all, never silently by the previous author.
  new.updated_by := coalesce(actor, nullif(new.updated_by, old.updated_by));
  return new;
end
$$;
