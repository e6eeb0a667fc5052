-- Presets: starting points for brand DNA. Built-in ones (seeded, readable by everyone, managed by
-- platform admins) and custom ones owned by a user or a workspace. Searchable by text (full-text
-- plus trigram fuzziness), tags, category, axis ranges and nearness to given axes.

-- Tags: at most 20, each lowercase kebab-case of 1–32 characters.
create or replace function private.valid_tags(tags text[])
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(array_ndims(tags), 1) = 1
     and coalesce(cardinality(tags), 0) <= 20
     and not exists (
       select 1 from unnest(tags) as t(tag)
       where t.tag is null or t.tag !~ '^[a-z0-9]+(-[a-z0-9]+)*$' or char_length(t.tag) > 32
     )
$$;
comment on function private.valid_tags(text[]) is 'True for at most 20 distinct-format tags, each lowercase kebab-case of at most 32 characters.';

-- array_to_string is only STABLE in general; for text[] it is immutable, which generated columns need.
create or replace function private.tags_text(tags text[])
returns text
language sql
immutable
set search_path = ''
as $$
  select coalesce(array_to_string(tags, ' '), '')
$$;
comment on function private.tags_text(text[]) is 'Tags joined by spaces, for the search columns.';

grant execute on function private.valid_tags(text[]), private.tags_text(text[]) to anon, authenticated, service_role;

create table public.presets (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text not null default '',
  category text not null,
  tags text[] not null default '{}',
  density double precision not null,
  warmth double precision not null,
  playfulness double precision not null,
  sophistication double precision not null,
  energy double precision not null,
  thumbnail_url text,
  metadata jsonb not null default '{}',
  owner_id uuid references auth.users (id) on delete cascade,
  workspace_id uuid references public.workspaces (id) on delete cascade,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  is_builtin boolean generated always as (owner_id is null and workspace_id is null) stored,
  axes extensions.cube generated always as (
    extensions.cube(array[density, warmth, playfulness, sophistication, energy])
  ) stored,
  search_vector tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, name), 'A')
    || setweight(to_tsvector('english'::regconfig, category || ' ' || private.tags_text(tags)), 'B')
    || setweight(to_tsvector('english'::regconfig, description), 'C')
  ) stored,
  search_text text generated always as (
    lower(name || ' ' || category || ' ' || private.tags_text(tags) || ' ' || description)
  ) stored,
  constraint presets_name_length check (char_length(name) <= 255 and btrim(name) <> ''),
  constraint presets_description_length check (char_length(description) <= 2000),
  constraint presets_category_format check (category ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(category) <= 100),
  constraint presets_tags_valid check (private.valid_tags(tags)),
  constraint presets_density_range check (density between 0 and 1),
  constraint presets_warmth_range check (warmth between 0 and 1),
  constraint presets_playfulness_range check (playfulness between 0 and 1),
  constraint presets_sophistication_range check (sophistication between 0 and 1),
  constraint presets_energy_range check (energy between 0 and 1),
  constraint presets_thumbnail_url_format check (thumbnail_url is null or (thumbnail_url ~ '^https?://[^\s]+$' and char_length(thumbnail_url) <= 2048)),
  constraint presets_metadata_object check (jsonb_typeof(metadata) = 'object' and pg_column_size(metadata) <= 16384),
  constraint presets_single_owner check (owner_id is null or workspace_id is null)
);
comment on table public.presets is
  'Starting points for brand DNA. Built-in presets (no owner) are readable by everyone and managed by platform admins; custom presets belong to one user (owner_id) or one workspace (workspace_id). Search them with public.search_presets().';
comment on column public.presets.id is 'Preset id.';
comment on column public.presets.name is 'Display name, 1–255 characters.';
comment on column public.presets.description is 'What the preset is for, at most 2000 characters.';
comment on column public.presets.category is 'Gallery category, lowercase kebab-case, at most 100 characters (e.g. tech, editorial).';
comment on column public.presets.tags is 'Up to 20 lowercase kebab-case tags of at most 32 characters each.';
comment on column public.presets.density is 'Axis from 0 (spacious) to 1 (compact).';
comment on column public.presets.warmth is 'Axis from 0 (cool) to 1 (warm).';
comment on column public.presets.playfulness is 'Axis from 0 (restrained) to 1 (lively).';
comment on column public.presets.sophistication is 'Axis from 0 (simple) to 1 (refined).';
comment on column public.presets.energy is 'Axis from 0 (calm) to 1 (vivid).';
comment on column public.presets.thumbnail_url is 'Optional http(s) URL of a thumbnail for the gallery.';
comment on column public.presets.metadata is 'Free-form JSON object (at most 16 KiB) for the gallery, e.g. palette hints.';
comment on column public.presets.owner_id is 'For a personal custom preset: the user who owns it. Null for built-in and workspace presets.';
comment on column public.presets.workspace_id is 'For a workspace custom preset: the workspace that owns it. Null for built-in and personal presets.';
comment on column public.presets.created_by is 'auth.users id of the creator (history only).';
comment on column public.presets.created_at is 'When the preset was created.';
comment on column public.presets.updated_at is 'When the preset last changed.';
comment on column public.presets.is_builtin is 'Generated: true when the preset has neither an owner nor a workspace.';
comment on column public.presets.axes is 'Generated: the five axes as a 5-D cube point, indexed for axis-range filters and nearest-preset search.';
comment on column public.presets.search_vector is 'Generated: weighted full-text document (name A, category and tags B, description C).';
comment on column public.presets.search_text is 'Generated: lowercase name, category, tags and description, trigram-indexed for fuzzy matches.';

create index presets_search_vector_idx on public.presets using gin (search_vector);
create index presets_search_text_trgm_idx on public.presets using gin (search_text extensions.gin_trgm_ops);
create index presets_tags_idx on public.presets using gin (tags);
create index presets_axes_idx on public.presets using gist (axes);
create index presets_category_name_idx on public.presets (category, name, id);
create index presets_name_id_idx on public.presets (name, id);
-- Policies filter on these.
create index presets_owner_id_idx on public.presets (owner_id) where owner_id is not null;
create index presets_workspace_id_idx on public.presets (workspace_id) where workspace_id is not null;
create index presets_is_builtin_idx on public.presets (is_builtin) where is_builtin;
create unique index presets_builtin_name_unique on public.presets (lower(name)) where is_builtin;

create or replace function private.prepare_preset_write()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    new.created_by := coalesce((select auth.uid()), new.created_by);
    new.created_at := now();
  elsif new.owner_id is distinct from old.owner_id or new.workspace_id is distinct from old.workspace_id
        or new.created_by is distinct from old.created_by or new.created_at <> old.created_at then
    raise exception 'the owner, workspace and creator of a preset cannot change' using errcode = 'TK003';
  end if;
  new.updated_at := now();
  return new;
end
$$;
comment on function private.prepare_preset_write() is
  'BEFORE INSERT/UPDATE trigger on presets: stamps creator and times, and keeps ownership fixed.';

create trigger presets_prepare_write
  before insert or update on public.presets
  for each row execute function private.prepare_preset_write();

-- ---------------------------------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------------------------------

alter table public.presets enable row level security;

create policy "everyone reads built-in presets" on public.presets
  for select to anon, authenticated
  using (is_builtin);

create policy "people read their own and their workspaces' presets" on public.presets
  for select to authenticated
  using (owner_id = (select auth.uid()) or workspace_id = any (array(select private.member_workspace_ids())));

create policy "admins create built-in presets, people their own, editors their workspace's" on public.presets
  for insert to authenticated
  with check (
    (owner_id is null and workspace_id is null and (select private.is_admin()))
    or (owner_id = (select auth.uid()) and workspace_id is null)
    or (owner_id is null and (select private.has_workspace_role(workspace_id, 'editor')))
  );

create policy "admins change built-in presets, people their own, editors their workspace's" on public.presets
  for update to authenticated
  using (
    (is_builtin and (select private.is_admin()))
    or owner_id = (select auth.uid())
    or (workspace_id is not null and (select private.has_workspace_role(workspace_id, 'editor')))
  )
  with check (
    (is_builtin and (select private.is_admin()))
    or owner_id = (select auth.uid())
    or (workspace_id is not null and (select private.has_workspace_role(workspace_id, 'editor')))
  );

create policy "admins delete built-in presets, people their own, editors their workspace's" on public.presets
  for delete to authenticated
  using (
    (is_builtin and (select private.is_admin()))
    or owner_id = (select auth.uid())
    or (workspace_id is not null and (select private.has_workspace_role(workspace_id, 'editor')))
  );

-- ---------------------------------------------------------------------------------------------
-- Search
-- ---------------------------------------------------------------------------------------------

create or replace function public.search_presets(
  query_text text default null,
  tag_filter text[] default null,
  category_filter text default null,
  axes_min double precision[] default null,
  axes_max double precision[] default null,
  near_axes double precision[] default null,
  scope_filter text default null,
  after_score double precision default null,
  after_name text default null,
  after_id uuid default null,
  page_size integer default 20
)
returns table (
  id uuid,
  name text,
  description text,
  category text,
  tags text[],
  density double precision,
  warmth double precision,
  playfulness double precision,
  sophistication double precision,
  energy double precision,
  thumbnail_url text,
  metadata jsonb,
  owner_id uuid,
  workspace_id uuid,
  is_builtin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  score double precision
)
language plpgsql
stable
security definer
set search_path = ''
as $$
-- Three orders, each with its own keyset:
--   near_axes given → nearest first (score = Euclidean distance, ascending), then id;
--   query_text given → most relevant first (score: 1 + full-text rank for whole-word matches, else trigram word similarity; descending), then id;
--   otherwise   → by name, then id.
-- Axis arrays are in the order density, warmth, playfulness, sophistication, energy.
-- SECURITY DEFINER, and it applies the read policies of presets itself (built-in, the caller's own,
-- their workspaces'; everything for the service role): under RLS the planner may not use the search
-- indexes, because the operators they serve (@@, <%, @>, <@) are not leakproof and so must not run
-- before the policy has filtered the row. Keep the visibility clause below in step with the SELECT
-- policies on public.presets (supabase/tests/database/090_preset_search.test.sql compares them).
-- The statement is assembled from fixed fragments (values only travel as parameters) so that each
-- order is planned on its own and can use its index: the name index, the GiST KNN scan, or the
-- full-text and trigram GIN indexes.
declare
  needle text := lower(btrim(coalesce(query_text, '')));
  text_query tsquery;
  box extensions.cube;
  target extensions.cube;
  size integer := least(greatest(coalesce(page_size, 20), 1), 100);
  score_expr text;
  fence text := '';
  keyset text;
  ordering text;
begin
  if coalesce(cardinality(axes_min), 5) <> 5 or coalesce(cardinality(axes_max), 5) <> 5
     or coalesce(cardinality(near_axes), 5) <> 5
     or coalesce(array_ndims(axes_min), 1) <> 1 or coalesce(array_ndims(axes_max), 1) <> 1
     or coalesce(array_ndims(near_axes), 1) <> 1 then
    raise exception 'axis arrays need exactly five values' using errcode = '22023';
  end if;
  if exists (select 1 from unnest(coalesce(axes_min, '{}') || coalesce(axes_max, '{}') || coalesce(near_axes, '{}')) as a(v)
             where a.v is null or a.v in ('NaN', 'Infinity', '-Infinity')) then
    raise exception 'axis values must be finite numbers' using errcode = '22023';
  end if;
  if scope_filter is not null and scope_filter not in ('builtin', 'custom') then
    raise exception 'scope must be builtin or custom' using errcode = '22023';
  end if;
  if axes_min is not null or axes_max is not null then
    box := extensions.cube(
      coalesce(axes_min, array[0, 0, 0, 0, 0]::double precision[]),
      coalesce(axes_max, array[1, 1, 1, 1, 1]::double precision[]));
  end if;
  if needle <> '' then
    text_query := websearch_to_tsquery('english', needle);
  end if;

  if near_axes is not null then
    target := extensions.cube(near_axes);
    score_expr := 'p.axes operator(extensions.<->) $5';
    keyset := '(s.score, s.id) > ($8, $10)';
    ordering := 's.score, s.id';
  elsif needle <> '' then
    -- Whole-word matches (full text) rank above fuzzy ones, by their rank; fuzzy-only matches (a
    -- typo) by trigram word similarity, which stays below 1. Trigram similarity is the expensive
    -- part, so it is only computed for rows the full-text query does not match.
    score_expr := 'case when p.search_vector @@ $2 then 1 + ts_rank_cd(p.search_vector, $2)::double precision
                        else extensions.word_similarity($1, p.search_text)::double precision end';
    -- Every match is scored; OFFSET 0 keeps the subquery apart so that each score is computed once,
    -- not again for the keyset filter and the sort.
    fence := 'offset 0';
    keyset := '(s.score < $8 or (s.score = $8 and s.id > $10))';
    ordering := 's.score desc, s.id';
  else
    score_expr := 'null::double precision';
    keyset := '(s.name, s.id) > ($9, $10)';
    ordering := 's.name, s.id';
  end if;

  -- Without the fence the planner pulls the subquery up, so the name order still walks the name
  -- index and the near order the GiST KNN scan.
  return query execute format(
    'select s.* from (
       select p.id, p.name, p.description, p.category, p.tags, p.density, p.warmth, p.playfulness,
              p.sophistication, p.energy, p.thumbnail_url, p.metadata, p.owner_id, p.workspace_id,
              p.is_builtin, p.created_at, p.updated_at, %s as score
         from public.presets p
        where (p.is_builtin or p.owner_id = (select auth.uid())
               or p.workspace_id = any (array(select private.member_workspace_ids()))
               or (select private.is_service()))
          and ($1 = '''' or p.search_vector @@ $2 or $1 operator(extensions.<%%) p.search_text)
          and ($3::text[] is null or p.tags @> $3)
          and ($4::text is null or p.category = $4)
          and ($6::extensions.cube is null or p.axes operator(extensions.<@) $6)
          and ($7::text is null or ($7 = ''builtin'') = p.is_builtin)
        %s) s
      where ($10::uuid is null or %s)
      order by %s
      limit $11',
    score_expr, fence, keyset, ordering)
  using needle, text_query, tag_filter, category_filter, target, box, scope_filter, after_score, after_name, after_id, size;
end
$$;
comment on function public.search_presets(text, text[], text, double precision[], double precision[], double precision[], text, double precision, text, uuid, integer) is
  'Searches the presets the caller may read (built-in, their own, their workspaces''; all for the service role): query_text (full-text plus trigram fuzziness over name, tags, description), tag_filter (all of), category_filter, axis ranges (axes_min/axes_max), nearness (near_axes), scope_filter (builtin/custom); keyset pages via after_score/after_name/after_id from the last row; page_size 1–100. SECURITY DEFINER so that its indexes can be used; it applies the read policies itself.';
grant execute on function public.search_presets(text, text[], text, double precision[], double precision[], double precision[], text, double precision, text, uuid, integer)
  to anon, authenticated, service_role;

create or replace function public.preset_categories()
returns table (category text, preset_count bigint)
language sql
stable
set search_path = ''
as $$
  select p.category, count(*) from public.presets p group by p.category order by p.category
$$;
comment on function public.preset_categories() is 'Categories of the presets the caller may read, with how many presets each has.';
grant execute on function public.preset_categories() to anon, authenticated, service_role;

revoke execute on all functions in schema private from public;
