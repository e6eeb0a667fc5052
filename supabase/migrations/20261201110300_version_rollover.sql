-- A brand DNA stays editable at every version: the automatic bump of a change that does not raise
-- the version used to be PATCH + 1, which overflows the 9 digits a part may have. A brand DNA at
-- X.Y.999999999 then failed every later write (owners and restore included) on its version check.
-- Now the bump rolls over like an odometer, and the highest version stays where it is (the change
-- is still a new revision and a new snapshot).

create or replace function private.next_version(current_version text)
returns text
language sql
immutable
strict
set search_path = ''
as $$
  select case
           when v.parts[3] < 999999999 then format('%s.%s.%s', v.parts[1], v.parts[2], v.parts[3] + 1)
           when v.parts[2] < 999999999 then format('%s.%s.0', v.parts[1], v.parts[2] + 1)
           when v.parts[1] < 999999999 then format('%s.0.0', v.parts[1] + 1)
           else current_version
         end
    from (select private.semver_parts(current_version) as parts) as v
$$;
comment on function private.next_version(text) is
  'The version after a semantic version: PATCH + 1; a PATCH of 999999999 rolls over into MINOR + 1 (PATCH 0), a MINOR of 999999999 too into MAJOR + 1 (0.0); 999999999.999999999.999999999 stays.';
-- The brand_dna trigger calls it as the writing role.
grant execute on function private.next_version(text) to anon, authenticated, service_role;

-- Unchanged but for the bump, which now goes through private.next_version().
create or replace function private.prepare_brand_dna_write()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  actor uuid := (select auth.uid());
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

  -- A change that does not raise the version gets the version after the current one.
  if private.is_semver(new.version) and private.is_semver(old.version)
     and private.semver_parts(new.version) <= private.semver_parts(old.version) then
    new.version := private.next_version(old.version);
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
comment on function private.prepare_brand_dna_write() is
  'BEFORE INSERT/UPDATE trigger on brand_dna: sets revision, timestamps and actors, keeps identity columns fixed, and gives a change that does not raise the version the next version (PATCH + 1, rolling over into MINOR and MAJOR; the highest version stays).';

comment on column public.brand_dna.version is
  'Semantic version MAJOR.MINOR.PATCH, each part at most 999999999. A change of content that does not raise it gets the next version: PATCH + 1, a PATCH of 999999999 rolls over into MINOR (and a MINOR of 999999999 into MAJOR); at 999999999.999999999.999999999 the version stays.';

revoke execute on all functions in schema private from public;
