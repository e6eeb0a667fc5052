-- Preset search with bounded work, whatever the query text.
--
-- The first version matched every word of `query_text` with full text and, for fuzziness, compared
-- the whole query with every preset's long search_text by trigram word similarity. The trigram
-- index cannot bound that comparison: it only proves that enough trigrams occur somewhere in a
-- preset, so a made-up word built from common pieces (`layoucolo`), a stop word (`with`), a short
-- term (`la`) or a long list of words passed the index for nearly every preset, and each of those
-- presets was then compared (tens of microseconds each; seconds over 100,000 presets). Words that
-- occur in most presets were also ranked across every match.
--
-- Now:
--   * The query is cut to 200 characters and split into words; repeats, stop words and words longer
--     than 64 characters are dropped, and at most 6 words are used.
--   * Fuzziness is spelling correction against the vocabulary of all presets (private.preset_words,
--     a few thousand short words, trigram-indexed): each word of 3 or more characters also matches
--     its 3 nearest known words that are similar enough (trigram similarity at least 0.45). The
--     search of the presets itself is then plain full text, which the GIN index answers exactly.
--   * At most 1,000 matching presets are ranked, each found through the full-text index by a scan
--     that stops at its LIMIT: half from the presets that match every word (exactly or through a
--     correction), half shared out among the words. Pages walk through those in order.

-- ---------------------------------------------------------------------------------------------
-- The vocabulary of the presets
-- ---------------------------------------------------------------------------------------------

create table private.preset_words (
  word text primary key,
  constraint preset_words_word_length check (char_length(word) between 3 and 64)
);
comment on table private.preset_words is
  'Every word (3 to 64 characters, lowercase) that occurs in the name, category, tags or description of some preset, kept by triggers on presets. search_presets() corrects misspelt query words against it. Words are never removed (a word no preset has any more only widens a search to nothing); internal, never shown to API callers.';
comment on column private.preset_words.word is 'A lowercase word as the simple text-search configuration splits it.';

-- GiST (not GIN) because a spelling correction asks for the nearest few words (ORDER BY <-> LIMIT),
-- which only GiST can answer from the index.
create index preset_words_word_trgm_idx on private.preset_words using gist (word extensions.gist_trgm_ops);

-- Only search_presets() (SECURITY DEFINER) and the trigger below touch the word list.
revoke all on table private.preset_words from public, anon, authenticated, service_role;

create or replace function private.preset_text_words(name text, category text, tags text[], description text)
returns setof text
language sql
immutable
set search_path = ''
as $$
  select distinct w.word
    from unnest(tsvector_to_array(to_tsvector('simple'::regconfig,
           concat_ws(' ', name, category, private.tags_text(tags), description)))) as w(word)
   where char_length(w.word) between 3 and 64
$$;
comment on function private.preset_text_words(text, text, text[], text) is
  'The distinct words (3 to 64 characters, lowercase, as the simple text-search configuration splits them) of a preset''s name, category, tags and description.';

create or replace function private.learn_preset_words()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- In word order, so that two transactions adding the same new words cannot deadlock.
  insert into private.preset_words (word)
  select distinct w.word
    from changed_presets p
   cross join lateral private.preset_text_words(p.name, p.category, p.tags, p.description) as w(word)
   order by 1
  on conflict (word) do nothing;
  return null;
end
$$;
comment on function private.learn_preset_words() is
  'AFTER INSERT/UPDATE statement trigger on presets: adds the words of the new and changed presets to private.preset_words.';

-- Transition tables allow one event per trigger, hence two triggers.
create trigger presets_learn_words_on_insert
  after insert on public.presets
  referencing new table as changed_presets
  for each statement execute function private.learn_preset_words();
create trigger presets_learn_words_on_update
  after update on public.presets
  referencing new table as changed_presets
  for each statement execute function private.learn_preset_words();

insert into private.preset_words (word)
select distinct w.word
  from public.presets p
 cross join lateral private.preset_text_words(p.name, p.category, p.tags, p.description) as w(word)
on conflict (word) do nothing;

-- ---------------------------------------------------------------------------------------------
-- The trigram column is no longer used: the vocabulary replaces it.
-- ---------------------------------------------------------------------------------------------

drop index public.presets_search_text_trgm_idx;
alter table public.presets drop column search_text;

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
-- One process per search: a parallel plan would cost other requests workers, and could pick a
-- different capped set of matches from one page to the next.
set max_parallel_workers_per_gather = 0
-- The text search below turns these off for its one statement; the clauses restore them on exit.
set enable_seqscan = on
set enable_indexscan = on
as $$
-- Three orders, each with its own keyset:
--   near_axes given → nearest first (score = Euclidean distance, ascending), then id;
--   query_text given → most relevant first (score descending, see below), then id;
--   otherwise   → by name, then id.
-- query_text is also a filter in the near order.
-- Axis arrays are in the order density, warmth, playfulness, sophistication, energy.
-- SECURITY DEFINER, and it applies the read policies of presets itself (built-in, the caller's own,
-- their workspaces'; everything for the service role): under RLS the planner may not use the search
-- indexes, because the operators they serve (@@, @>, <@) are not leakproof and so must not run
-- before the policy has filtered the row. Keep the visibility clause below in step with the SELECT
-- policies on public.presets (supabase/tests/database/090_preset_search.test.sql compares them).
-- The statement is assembled from fixed fragments (values only travel as parameters) so that each
-- order is planned on its own and can use its index.
declare
  -- The bounds of one text search (docs/ARCHITECTURE.md explains them).
  max_query_chars constant integer := 200;
  max_words constant integer := 6;
  max_word_chars constant integer := 64;
  min_fuzzy_chars constant integer := 3;
  corrections_per_word constant integer := 3;
  min_similarity constant real := 0.45;
  max_matches constant integer := 1000;

  needle text := lower(btrim(left(coalesce(query_text, ''), max_query_chars)));
  term text;
  known text;
  exact tsquery;
  fuzzy tsquery;
  either tsquery;
  exact_words tsquery[] := '{}';
  fuzzy_words tsquery[] := '{}';
  either_words tsquery[] := '{}';
  every_word tsquery;
  any_word tsquery;
  words integer;
  box extensions.cube;
  target extensions.cube;
  size integer := least(greatest(coalesce(page_size, 20), 1), 100);
  visible_and_filtered text;
  source text;
  score_expr text;
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
  if near_axes is not null then
    target := extensions.cube(near_axes);
  end if;

  -- The words of the query, each as a full-text query of its own (exact) and of its corrections
  -- (fuzzy): repeats, stop words and overlong words dropped, at most max_words.
  if needle <> '' then
    for term in
      select w.word from regexp_split_to_table(needle, '[[:space:][:punct:]]+') with ordinality as w(word, position)
       where w.word <> '' and char_length(w.word) <= max_word_chars
       group by w.word order by min(w.position)
    loop
      -- A stop word, or no letters at all (checked on the document side: plainto_tsquery would
      -- raise a notice for each).
      continue when length(to_tsvector('english'::regconfig, term)) = 0;
      exact := plainto_tsquery('english'::regconfig, term);
      fuzzy := null;
      if char_length(term) >= min_fuzzy_chars then
        -- The nearest few known words (a bounded walk of the GiST index), kept if similar enough.
        for known in
          select k.word from (
            select pw.word from private.preset_words pw
             where pw.word <> term
             order by pw.word operator(extensions.<->) term
             limit corrections_per_word) k
           where extensions.similarity(k.word, term) >= min_similarity
             and length(to_tsvector('english'::regconfig, k.word)) > 0
        loop
          either := plainto_tsquery('english'::regconfig, known);
          if either <> exact then
            fuzzy := case when fuzzy is null then either else fuzzy || either end;
          end if;
        end loop;
      end if;
      either := case when fuzzy is null then exact else exact || fuzzy end;
      exact_words := array_append(exact_words, exact);
      fuzzy_words := array_append(fuzzy_words, fuzzy);
      either_words := array_append(either_words, either);
      every_word := case when every_word is null then either else every_word && either end;
      any_word := case when any_word is null then either else any_word || either end;
      exit when cardinality(exact_words) >= max_words;
    end loop;
    if every_word is null then
      return; -- only stop words or punctuation: nothing to look for
    end if;
  end if;

  visible_and_filtered := '(p.is_builtin or p.owner_id = (select auth.uid())
           or p.workspace_id = any (array(select private.member_workspace_ids()))
           or (select private.is_service()))
      and ($3::text[] is null or p.tags @> $3)
      and ($4::text is null or p.category = $4)
      and ($6::extensions.cube is null or p.axes operator(extensions.<@) $6)
      and ($7::text is null or ($7 = ''builtin'') = p.is_builtin)';

  if every_word is not null then
    -- The matches that get ranked, at most max_matches: for one word, its first max_matches
    -- matches; for several, half of them from the presets that match every word, and the other
    -- half shared out among the words, so that a rare word's matches are not crowded out by a
    -- common word's. Each scan stops at its LIMIT (the word's index finds the matching rows), so
    -- no query reads more than max_matches presets.
    words := cardinality(either_words);
    source := format('(select p.*, p.search_vector as document from public.presets p where %s and p.search_vector @@ $1 limit %s)',
                     visible_and_filtered, case when words = 1 then max_matches else max_matches / 2 end);
    if words > 1 then
      for i in 1 .. words loop
        source := source || format(
          ' union (select p.*, p.search_vector from public.presets p where %s and p.search_vector @@ ($14::tsquery[])[%s] limit %s)',
          visible_and_filtered, i, max_matches / 2 / words);
      end loop;
    end if;
    source := '(' || source || ')';
    -- Each of those scans must find its rows through the full-text index (a bitmap scan, which
    -- reads only matching rows). Left to itself, the planner reads the table (or the primary key)
    -- from the start until a LIMIT is full whenever it expects many matches; when two common words
    -- seldom meet, or without statistics, that means reading every preset.
    perform set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true);
  else
    source := format('(select p.*, null::tsvector as document from public.presets p where %s)', visible_and_filtered);
  end if;

  if near_axes is not null then
    score_expr := 'p.axes operator(extensions.<->) $5';
    keyset := '(s.score, s.id) > ($8, $10)';
    ordering := 's.score, s.id';
  elsif every_word is not null then
    -- Relevance: 2 per query word the preset contains, 1 per word it only contains a correction
    -- of, plus the full-text rank (name above category and tags above description) squeezed into
    -- [0, 1) so that it only orders presets that match the same words.
    score_expr := '(select coalesce(sum(case when p.document @@ w.exact then 2 when p.document @@ w.fuzzy then 1 else 0 end), 0)
                      from unnest($12::tsquery[], $13::tsquery[]) as w(exact, fuzzy))::double precision
                   + ts_rank_cd(p.document, $2, 32)::double precision';
    keyset := '(s.score < $8 or (s.score = $8 and s.id > $10))';
    ordering := 's.score desc, s.id';
  else
    score_expr := 'null::double precision';
    keyset := '(s.name, s.id) > ($9, $10)';
    ordering := 's.name, s.id';
  end if;

  -- Without text the planner pulls the subqueries up, so the name order walks the name index and
  -- the near order the GiST KNN scan; with text it sorts the capped set of matches.
  return query execute format(
    'select s.* from (
       select p.id, p.name, p.description, p.category, p.tags, p.density, p.warmth, p.playfulness,
              p.sophistication, p.energy, p.thumbnail_url, p.metadata, p.owner_id, p.workspace_id,
              p.is_builtin, p.created_at, p.updated_at, %s as score
         from %s p) s
      where ($10::uuid is null or %s)
      order by %s
      limit $11',
    score_expr, source, keyset, ordering)
  using every_word, any_word, tag_filter, category_filter, target, box, scope_filter, after_score, after_name, after_id,
        size, exact_words, fuzzy_words, either_words;
end
$$;
comment on function public.search_presets(text, text[], text, double precision[], double precision[], double precision[], text, double precision, text, uuid, integer) is
  'Searches the presets the caller may read (built-in, their own, their workspaces''; all for the service role): query_text (full text over name, category, tags and description; misspelt words match their nearest known words; at most 6 distinct words of the first 200 characters, stop words ignored; at most the 1,000 best matches), tag_filter (all of), category_filter, axis ranges (axes_min/axes_max), nearness (near_axes), scope_filter (builtin/custom); keyset pages via after_score/after_name/after_id from the last row; page_size 1–100. SECURITY DEFINER so that its indexes can be used; it applies the read policies itself.';

revoke execute on all functions in schema private from public;
