-- Brand DNA imported from the studio's own files (objects of @tekton/studio-mcp's BrandDNASchema)
-- keeps where it came from: the studio's id, unique per workspace, so that importing the same
-- object again updates that brand DNA (a new version) instead of making a duplicate; and the
-- studio's createdAt/updatedAt, so that an export gives back exactly what was imported.
--
-- A table of its own rather than columns on brand_dna: brand_dna's triggers, versions and
-- broadcasts stay as they are, and native brand DNA simply has no row here.

create table public.brand_dna_origins (
  brand_dna_id uuid primary key references public.brand_dna (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  external_id text not null,
  source_created_at timestamptz not null,
  source_updated_at timestamptz not null,
  source_revision integer not null,
  imported_by uuid,
  imported_at timestamptz not null default now(),
  constraint brand_dna_origins_external_id_format
    check (external_id = btrim(external_id) and char_length(external_id) between 1 and 255),
  constraint brand_dna_origins_source_revision_positive check (source_revision >= 1),
  constraint brand_dna_origins_external_id_unique unique (workspace_id, external_id)
);
comment on table public.brand_dna_origins is
  'Where an imported brand DNA came from: the studio''s id (unique per workspace) and the studio''s timestamps. Written by the import (POST /brand-dna/import); read by the export, which gives the studio''s id and times back. Deleted with its brand DNA.';
comment on column public.brand_dna_origins.brand_dna_id is 'The brand DNA made or updated from the studio object.';
comment on column public.brand_dna_origins.workspace_id is 'Its workspace (taken from the brand DNA by a trigger).';
comment on column public.brand_dna_origins.external_id is 'The studio''s id of the object (e.g. brand-001), 1–255 characters without surrounding spaces; unique within the workspace. Importing it again updates this brand DNA.';
comment on column public.brand_dna_origins.source_created_at is 'The studio''s createdAt: when the brand was originally created. Exported as createdAt.';
comment on column public.brand_dna_origins.source_updated_at is 'The studio''s updatedAt at the latest import. Exported as updatedAt while the brand DNA is still at source_revision.';
comment on column public.brand_dna_origins.source_revision is 'brand_dna.revision right after the latest import; a later change here makes the export report brand_dna.updated_at instead.';
comment on column public.brand_dna_origins.imported_by is 'auth.users id of who imported it last (from the JWT).';
comment on column public.brand_dna_origins.imported_at is 'When it was imported last.';

-- Policies filter on workspace_id; the unique constraint's index leads with it.

create or replace function private.prepare_brand_dna_origin()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    -- Visible to the caller or null (then RLS or NOT NULL refuses the row).
    new.workspace_id := (select b.workspace_id from public.brand_dna b where b.id = new.brand_dna_id);
  elsif new.brand_dna_id <> old.brand_dna_id or new.workspace_id <> old.workspace_id then
    raise exception 'brand_dna_id and workspace_id of an origin cannot change' using errcode = 'TK003';
  end if;
  new.imported_at := now();
  new.imported_by := coalesce((select auth.uid()), new.imported_by);
  return new;
end
$$;
comment on function private.prepare_brand_dna_origin() is
  'BEFORE INSERT/UPDATE trigger on brand_dna_origins: takes the workspace from the brand DNA, keeps the row with its brand DNA, and records who imported it and when.';

create trigger brand_dna_origins_prepare
  before insert or update on public.brand_dna_origins
  for each row execute function private.prepare_brand_dna_origin();

alter table public.brand_dna_origins enable row level security;

create policy "members read where their brand DNA came from" on public.brand_dna_origins
  for select to authenticated
  using (workspace_id = any (array(select private.member_workspace_ids())));

create policy "editors record origins" on public.brand_dna_origins
  for insert to authenticated
  with check ((select private.has_workspace_role(workspace_id, 'editor')));

create policy "editors update origins" on public.brand_dna_origins
  for update to authenticated
  using ((select private.has_workspace_role(workspace_id, 'editor')))
  with check ((select private.has_workspace_role(workspace_id, 'editor')));

-- No DELETE policy: an origin goes with its brand DNA (or the service role removes it).
revoke all on public.brand_dna_origins from public, anon, authenticated, service_role;
grant select, insert, update on public.brand_dna_origins to authenticated;
grant select, insert, update, delete on public.brand_dna_origins to service_role;

revoke execute on all functions in schema private from public;
