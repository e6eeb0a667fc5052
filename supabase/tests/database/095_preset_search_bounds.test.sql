-- public.search_presets() stays cheap and sane whatever the query text: stop words, one- and
-- two-letter words, repeated words, long strings, made-up words and typos. "Cheap" is checked by the
-- work done, never by the clock: how many preset rows one search reads (this transaction's table
-- statistics), which must stay within the 1,000 matches a search ranks at most.
begin;
set local client_min_messages = warning;
select plan(32);

-- 3,000 presets that all share the words of a generated catalogue ("layouts", "colour", "calm" …),
-- more than one search may rank, and a few with words of their own.
insert into public.presets (name, category, tags, description, density, warmth, playfulness, sophistication, energy)
select format('Bulk %s %s', (array['Harbor', 'Lantern', 'Meadow'])[1 + i % 3], i), 'bulk', array['bulk', 'generated'],
       format('Airy layouts with warm colour and calm motion for team number %s.', i),
       (i % 10) / 10.0, (i % 7) / 7.0, .5, .5, .5
from generate_series(1, 3000) as g(i);
insert into public.presets (name, category, tags, description, density, warmth, playfulness, sophistication, energy)
values ('La Marzocco Bar', 'bulk', '{coffee}', 'Espresso counter.', .5, .5, .5, .5, .5),
       ('Quokka Corner', 'bulk', '{animals}', 'A calm and happy marsupial.', .5, .5, .5, .5, .5);

-- Preset rows one search reads (sequentially or through an index), from this transaction's statistics.
create function pg_temp.rows_read(query text) returns bigint
language plpgsql
as $$
declare
  before bigint;
  after bigint;
begin
  select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) into before
    from pg_stat_xact_user_tables where relid = 'public.presets'::regclass;
  perform * from public.search_presets(query);
  select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) into after
    from pg_stat_xact_user_tables where relid = 'public.presets'::regclass;
  return after - before;
end
$$;

-- Walks every page of a text search (100 at a time) and returns the rows in the order received.
create function pg_temp.walk(query text) returns table (pos integer, id uuid, score double precision)
language plpgsql
as $$
declare
  r record;
  got integer;
  last_score double precision;
  last_id uuid;
begin
  pos := 0;
  loop
    got := 0;
    for r in select * from public.search_presets(query, after_score => last_score, after_id => last_id, page_size => 100) loop
      got := got + 1;
      pos := pos + 1;
      id := r.id; score := r.score;
      return next;
      last_score := r.score; last_id := r.id;
    end loop;
    exit when got < 100 or pos > 5000;
  end loop;
end
$$;

select * from tests.create_team('w') \gset w_
grant execute on function pg_temp.rows_read(text), pg_temp.walk(text) to anon;
select tests.authenticate_as_anon();

-- =============================================================================================
-- Sane results
-- =============================================================================================
select is_empty($$select * from public.search_presets('with')$$, 'a stop word alone finds nothing (it is in every description)');
select is_empty($$select * from public.search_presets('and')$$, 'another stop word finds nothing');
select is_empty($$select * from public.search_presets('with and the of')$$, 'only stop words find nothing');
select results_eq($$select name from public.search_presets('la')$$, array['La Marzocco Bar'],
  'a two-letter word matches that word exactly, not every word that starts with it');
select results_eq($$select name from public.search_presets(repeat('la ', 60))$$, array['La Marzocco Bar'],
  'the same word sixty times is that word once');
select is_empty($$select * from public.search_presets('x')$$, 'a one-letter word no preset has finds nothing');
select is_empty($$select * from public.search_presets(repeat('x', 5000))$$, 'a 5,000-character word finds nothing');
select is_empty($$select * from public.search_presets('layoucolo')$$,
  'a made-up word of common pieces finds nothing (it used to pass the trigram index for every preset)');
select is_empty($$select * from public.search_presets('qwxzvbnm zzyzx')$$, 'gibberish finds nothing');
select lives_ok($$select * from public.search_presets(repeat('🎨 ', 100) || repeat('-', 100))$$, 'emoji and punctuation only are harmless');
select is_empty($$select * from public.search_presets(repeat('🎨 ', 100))$$, 'and find nothing');

select is((select count(*) from public.search_presets('layoutss', page_size => 100)), 100::bigint,
  'a typo of a word every preset has still finds presets (a full page)');
select ok((select bool_and(description ~* 'layouts') from public.search_presets('layoutss', page_size => 100)),
  'and each of them has the word it was meant to be');
select results_eq($$select name from public.search_presets('quokka calm') limit 1$$, array['Quokka Corner'],
  'the one preset with every word comes first, although thousands have one of them (matches of all words are ranked first)');
select results_eq($$select name from public.search_presets('quokka calm layouts') limit 1$$, array['Quokka Corner'],
  'also when another word is in every other preset');
select results_eq($$select name from public.search_presets('quoka') limit 1$$, array['Quokka Corner'], 'a typo of a rare word finds it');
select results_eq($$select name from public.search_presets('quokka quokka quokka quokka quokka quokka quokka quokka calm') limit 1$$,
  array['Quokka Corner'], 'repeated words count once, so other words still count');
select ok((select count(*) from public.search_presets('marzocco espresso counter bar quokka marsupial happy coffee', page_size => 100)) > 0,
  'a query of many words is answered (the first six words that are not stop words count)');

-- The word list follows the presets, whoever writes them.
select tests.authenticate_as(:'w_editor_id');
insert into public.presets (name, category, description, density, warmth, playfulness, sophistication, energy, workspace_id)
values ('Team Tide', 'bulk', 'Zanzibar blues.', .5, .5, .5, .5, .5, :'w_workspace_id');
select results_eq($$select name from public.search_presets('zanzibr')$$, array['Team Tide'], 'a new preset''s words can be misspelt at once');
update public.presets set description = 'Quixotic greens.' where name = 'Team Tide';
select results_eq($$select name from public.search_presets('quixotc')$$, array['Team Tide'], 'so can the words of a changed preset');
select tests.authenticate_as_anon();

-- A broad word: the 1,000 best matches, in relevance order, each once, then the walk ends.
create temporary table broad as select * from pg_temp.walk('calm');
select results_eq($$select count(*), count(distinct id) from broad$$, $$values (1000::bigint, 1000::bigint)$$,
  'walking a word that 3,000 presets have returns its 1,000 best matches, each once');
select is_empty($$select a.pos from broad a join broad b on b.pos = a.pos + 1
                  where not (a.score > b.score or (a.score = b.score and a.id < b.id))$$,
  'in relevance order across pages');
select results_eq($$select id from broad where pos = 1$$, $$select id from public.presets where name = 'Calm Wellness'$$,
  'the preset named after the word comes first');

-- =============================================================================================
-- Bounded work: at most the 1,000 ranked matches are read (and the few passed over on the way to
-- them), whatever the query; the first version read every preset for most of these.
-- =============================================================================================
select cmp_ok(pg_temp.rows_read('with'), '<=', 1200::bigint, 'a stop word reads at most 1,200 presets');
select cmp_ok(pg_temp.rows_read('la'), '<=', 1200::bigint, 'a two-letter word reads at most 1,200 presets');
select cmp_ok(pg_temp.rows_read(repeat('la ', 60)), '<=', 1200::bigint, 'sixty repeated words read at most 1,200 presets');
select cmp_ok(pg_temp.rows_read(repeat('layouts colour calm motion ', 20)), '<=', 1200::bigint,
  'eighty common words read at most 1,200 presets');
select cmp_ok(pg_temp.rows_read('layoutss'), '<=', 1200::bigint, 'a typo of a word in every preset reads at most 1,200 presets');
select cmp_ok(pg_temp.rows_read('layoucolo'), '<=', 1200::bigint, 'a made-up word of common pieces reads at most 1,200 presets');
select cmp_ok(pg_temp.rows_read(repeat('x', 5000)), '<=', 1200::bigint, 'a 5,000-character word reads at most 1,200 presets');
select cmp_ok(pg_temp.rows_read('calm quokka'), '<=', 1200::bigint,
  'two words, one in every preset: the preset with both, then other matches up to 1,000');

-- Typos are corrected against the word list through its trigram index, not by reading presets.
create temporary table word_scans_before as
  select coalesce(seq_scan, 0) as seq_scan, coalesce(idx_scan, 0) as idx_scan
  from pg_stat_xact_user_tables where relid = 'private.preset_words'::regclass;
create temporary table corrected as select * from public.search_presets('quoka');
select ok((select s.idx_scan > b.idx_scan and s.seq_scan = b.seq_scan
           from pg_stat_xact_user_tables s, word_scans_before b where s.relid = 'private.preset_words'::regclass),
  'a typo is looked up in the word list through its trigram index');

select * from finish();
rollback;
