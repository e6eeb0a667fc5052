-- Brand DNA (five personality axes, 0 to 1) and its append-only version history.

-- Strict semantic version MAJOR.MINOR.PATCH: digits, no leading zeros, each part below 10^9 so
-- that a PATCH bump always fits an integer.
create or replace function private.is_semver(value text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select value ~ '^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$'
$$;
comment on function private.is_semver(text) is 'True for MAJOR.MINOR.PATCH with digits only and no leading zeros.';

create or replace function private.semver_parts(value text)
returns int[]
language sql
immutable
set search_path = ''
as $$
  select string_to_array(value, '.')::int[]
$$;
comment on function private.semver_parts(text) is 'MAJOR.MINOR.PATCH as an int array, which compares in semver order.';

grant execute on function private.is_semver(text), private.semver_parts(text) to anon, authenticated, service_role;

create table public.brand_dna (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  slug text not null,
  name text not null,
  description text,
  density double precision not null,
  warmth double precision not null,
  playfulness double precision not null,
  sophistication double precision not null,
  energy double precision not null,
  version text not null default '1.0.0',
  revision integer not null default 1,
  preset_id uuid,
  created_by uuid,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint brand_dna_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 64),
  constraint brand_dna_name_length check (char_length(name) <= 120 and btrim(name) <> ''),
  constraint brand_dna_description_length check (char_length(description) <= 2000),
  -- NaN is greater than every number in Postgres, so BETWEEN rejects it too.
  constraint brand_dna_density_range check (density between 0 and 1),
  constraint brand_dna_warmth_range check (warmth between 0 and 1),
  constraint brand_dna_playfulness_range check (playfulness between 0 and 1),
  constraint brand_dna_sophistication_range check (sophistication between 0 and 1),
  constraint brand_dna_energy_range check (energy between 0 and 1),
  constraint brand_dna_version_semver check (private.is_semver(version)),
  constraint brand_dna_revision_positive check (revision >= 1),
  constraint brand_dna_slug_unique_in_workspace unique (workspace_id, slug)
);
comment on table public.brand_dna is
  'A brand''s personality: five axes from 0 to 1, a semantic version and a revision. Every insert and every change of content is snapshotted into brand_dna_versions by a trigger; deleting a brand DNA keeps its versions.';
comment on column public.brand_dna.id is 'Brand DNA id (also its id on the wire and in Realtime topics brand_dna:<id>).';
comment on column public.brand_dna.workspace_id is 'Workspace that owns it. Cannot change after creation.';
comment on column public.brand_dna.slug is 'URL-friendly identifier, unique within the workspace: lowercase letters and digits separated by single hyphens, at most 64 characters.';
comment on column public.brand_dna.name is 'Display name, 1–120 characters.';
comment on column public.brand_dna.description is 'Optional description, at most 2000 characters.';
comment on column public.brand_dna.density is 'Axis from 0 (spacious spacing and sizes) to 1 (compact).';
comment on column public.brand_dna.warmth is 'Axis from 0 (cool colour temperature) to 1 (warm).';
comment on column public.brand_dna.playfulness is 'Axis from 0 (restrained motion and shapes) to 1 (lively).';
comment on column public.brand_dna.sophistication is 'Axis from 0 (simple typography and detail) to 1 (refined).';
comment on column public.brand_dna.energy is 'Axis from 0 (calm, low contrast) to 1 (vivid, high contrast).';
comment on column public.brand_dna.version is 'Semantic version MAJOR.MINOR.PATCH. A change of content that does not raise it gets its PATCH bumped automatically.';
comment on column public.brand_dna.revision is 'Number of the latest snapshot in brand_dna_versions (1 after creation). Set by the trigger; the API''s ETag.';
comment on column public.brand_dna.preset_id is 'Preset this brand DNA started from, if any (history only).';
comment on column public.brand_dna.created_by is 'auth.users id of the creator (set from the JWT).';
comment on column public.brand_dna.updated_by is 'auth.users id of whoever made the latest change (set from the JWT).';
comment on column public.brand_dna.created_at is 'When it was created.';
comment on column public.brand_dna.updated_at is 'When its content last changed.';

-- Policies and lists filter on workspace_id. updated_at is deliberately not indexed: every change
-- sets it, and an indexed updated_at would make every update a non-HOT update (new entries in
-- every index); lists sort a workspace's rows instead. fillfactor leaves room on each page for
-- the new row versions of HOT updates.
create index brand_dna_workspace_id_idx on public.brand_dna (workspace_id);
alter table public.brand_dna set (fillfactor = 90);

create table public.brand_dna_versions (
  brand_dna_id uuid not null,
  version_number integer not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  slug text not null,
  name text not null,
  description text,
  density double precision not null,
  warmth double precision not null,
  playfulness double precision not null,
  sophistication double precision not null,
  energy double precision not null,
  version text not null,
  restored_from integer,
  created_by uuid,
  created_at timestamptz not null default now(),
  primary key (brand_dna_id, version_number),
  constraint brand_dna_versions_number_positive check (version_number >= 1),
  constraint brand_dna_versions_restored_from_earlier check (restored_from is null or restored_from between 1 and version_number - 1)
);
comment on table public.brand_dna_versions is
  'Append-only history of brand_dna: one immutable snapshot per insert and per change of content, numbered 1, 2, 3 … per brand DNA without gaps. Written only by the brand_dna trigger; only the service role may update or delete rows. Kept when the brand DNA itself is deleted (no foreign key to it).';
comment on column public.brand_dna_versions.brand_dna_id is 'The brand DNA this snapshot belongs to (it may since have been deleted).';
comment on column public.brand_dna_versions.version_number is 'Snapshot number, 1 for the insert, then +1 per change; equals brand_dna.revision at that time.';
comment on column public.brand_dna_versions.workspace_id is 'Workspace of the brand DNA; members of it may read the history.';
comment on column public.brand_dna_versions.slug is 'Slug at that version.';
comment on column public.brand_dna_versions.name is 'Name at that version.';
comment on column public.brand_dna_versions.description is 'Description at that version.';
comment on column public.brand_dna_versions.density is 'Density axis at that version.';
comment on column public.brand_dna_versions.warmth is 'Warmth axis at that version.';
comment on column public.brand_dna_versions.playfulness is 'Playfulness axis at that version.';
comment on column public.brand_dna_versions.sophistication is 'Sophistication axis at that version.';
comment on column public.brand_dna_versions.energy is 'Energy axis at that version.';
comment on column public.brand_dna_versions.version is 'Semantic version at that version.';
comment on column public.brand_dna_versions.restored_from is 'When this snapshot came from restoring an older one: that older version_number.';
comment on column public.brand_dna_versions.created_by is 'auth.users id of whoever made the change.';
comment on column public.brand_dna_versions.created_at is 'When the change was made.';

create index brand_dna_versions_workspace_id_idx on public.brand_dna_versions (workspace_id);

-- ---------------------------------------------------------------------------------------------
-- Versioning
-- ---------------------------------------------------------------------------------------------

-- Who the change is by: the JWT's subject, or for trusted callers without one (service role,
-- Studio, migrations) the user they name in updated_by, or no user; never silently the previous
-- author. (A row trigger cannot tell an updated_by left alone from one set to its old value, so a
-- trusted caller that names the previous author again records no author.)
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
comment on function private.prepare_brand_dna_write() is
  'BEFORE INSERT/UPDATE trigger on brand_dna: sets revision, timestamps and actors, keeps identity columns fixed, and bumps the PATCH of a change that does not raise the version.';

create trigger brand_dna_prepare_write
  before insert or update on public.brand_dna
  for each row execute function private.prepare_brand_dna_write();

create or replace function private.snapshot_brand_dna()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.revision = old.revision then
    return null;
  end if;
  insert into public.brand_dna_versions (
    brand_dna_id, version_number, workspace_id, slug, name, description,
    density, warmth, playfulness, sophistication, energy, version, restored_from, created_by, created_at)
  values (
    new.id, new.revision, new.workspace_id, new.slug, new.name, new.description,
    new.density, new.warmth, new.playfulness, new.sophistication, new.energy, new.version,
    nullif(current_setting('tekton.restored_from', true), '')::int, new.updated_by, new.updated_at);
  return null;
end
$$;
comment on function private.snapshot_brand_dna() is
  'AFTER INSERT/UPDATE trigger on brand_dna: writes the snapshot of each new revision into brand_dna_versions.';

create trigger brand_dna_snapshot
  after insert or update on public.brand_dna
  for each row execute function private.snapshot_brand_dna();

create or replace function private.protect_brand_dna_versions()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- The service role may repair history; a workspace deletion cascades over its history.
  if (select private.is_service())
     or (tg_op = 'DELETE' and not exists (select 1 from public.workspaces w where w.id = old.workspace_id)) then
    return coalesce(new, old);
  end if;
  raise exception 'brand DNA versions are append-only' using errcode = '42501',
    hint = 'Restore an older version instead: it becomes a new version.';
end
$$;
comment on function private.protect_brand_dna_versions() is
  'BEFORE UPDATE/DELETE trigger on brand_dna_versions: history is append-only except for the service role.';

create trigger brand_dna_versions_append_only
  before update or delete on public.brand_dna_versions
  for each row execute function private.protect_brand_dna_versions();

-- ---------------------------------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------------------------------

alter table public.brand_dna enable row level security;
alter table public.brand_dna_versions enable row level security;

create policy "members read brand DNA" on public.brand_dna
  for select to authenticated
  using (workspace_id = any (array(select private.member_workspace_ids())));

create policy "editors create brand DNA" on public.brand_dna
  for insert to authenticated
  with check ((select private.has_workspace_role(workspace_id, 'editor')));

create policy "editors change brand DNA" on public.brand_dna
  for update to authenticated
  using ((select private.has_workspace_role(workspace_id, 'editor')))
  with check ((select private.has_workspace_role(workspace_id, 'editor')));

create policy "owners delete brand DNA" on public.brand_dna
  for delete to authenticated
  using ((select private.has_workspace_role(workspace_id, 'owner')));

create policy "members read brand DNA history" on public.brand_dna_versions
  for select to authenticated
  using (workspace_id = any (array(select private.member_workspace_ids())));

-- No INSERT, UPDATE or DELETE policies on brand_dna_versions: only the trigger writes it.

-- ---------------------------------------------------------------------------------------------
-- Restore: make an old version current again, as a new version
-- ---------------------------------------------------------------------------------------------

create or replace function public.restore_brand_dna_version(target uuid, from_version integer)
returns setof public.brand_dna
language plpgsql
set search_path = ''
as $$
declare
  old_version public.brand_dna_versions;
begin
  select * into old_version from public.brand_dna_versions v
  where v.brand_dna_id = target and v.version_number = from_version;
  if not found then
    raise exception 'brand DNA % has no version %', target, from_version using errcode = 'TK004';
  end if;
  -- Read by the snapshot trigger to record where the new version came from.
  perform set_config('tekton.restored_from', from_version::text, true);
  return query
    update public.brand_dna b set
      slug = old_version.slug, name = old_version.name, description = old_version.description,
      density = old_version.density, warmth = old_version.warmth, playfulness = old_version.playfulness,
      sophistication = old_version.sophistication, energy = old_version.energy, version = old_version.version
    where b.id = target
    returning b.*;
  perform set_config('tekton.restored_from', '', true);
end
$$;
comment on function public.restore_brand_dna_version(uuid, integer) is
  'Makes an older version of a brand DNA current again; the result is a new version (with its PATCH bumped). Runs under the caller''s RLS: editors and owners.';
revoke execute on function public.restore_brand_dna_version(uuid, integer) from public, anon;
grant execute on function public.restore_brand_dna_version(uuid, integer) to authenticated, service_role;

revoke execute on all functions in schema private from public;
