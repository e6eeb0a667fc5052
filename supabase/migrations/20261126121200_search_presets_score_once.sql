-- Performance: in the relevance order, search_presets() computed each match's score (full-text
-- rank plus trigram word similarity, the expensive part of a search) twice on every page after the
-- first: once for the keyset filter and once more for the sort. A keyset page deep into the results
-- cost about twice the first page (bench/db.ts: 1.9x at page 1,000, goal 1.5x). The rows are now
-- scored once in a fenced subquery that the keyset filter and the sort read. Results and their
-- order are unchanged; the name and near orders keep their index scans.

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
--   query_text given → most relevant first (score = full-text rank + trigram word similarity, descending), then id;
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
    score_expr := 'ts_rank_cd(p.search_vector, $2)::double precision + extensions.word_similarity($1, p.search_text)::double precision';
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
