-- public.search_presets(): text ranking and fuzziness, tag / category / axis-range filters, nearness,
-- scope, RLS, keyset pagination in all three orders, input validation and hostile input.
begin;
set local client_min_messages = warning; -- the hostile queries below make the text parser chatty
select plan(66);

select * from tests.create_team('s') \gset s_
select * from tests.create_team('t') \gset t_
select tests.create_user('stranger@test.local') as stranger \gset
select tests.create_user('admin@test.local', '{"role": "admin"}') as admin \gset

-- Presets only some callers may see: personal ones, and another workspace's.
insert into public.presets (name, category, tags, description, density, warmth, playfulness, sophistication, energy, owner_id)
values ('Viewer private', 'private', '{mine}', 'Only for the viewer.', .5, .5, .5, .5, .5, :'s_viewer_id'),
       ('Stranger private', 'private', '{mine}', 'Only for the stranger.', .5, .5, .5, .5, .5, :'stranger');
insert into public.presets (name, category, tags, description, density, warmth, playfulness, sophistication, energy, workspace_id)
values ('Team T only', 'private', '{team}', 'Only for team T.', .5, .5, .5, .5, .5, :'t_workspace_id');

-- Presets made to test ranking: the word "aurora" in the name, in a tag, or only in the description.
insert into public.presets (name, category, tags, description, density, warmth, playfulness, sophistication, energy, workspace_id)
values ('Aurora', 'ranking', '{night}', 'Northern colours.', .1, .1, .1, .1, .1, :'s_workspace_id'),
       ('Polar Night', 'ranking', '{aurora}', 'Deep blues.', .2, .2, .2, .2, .2, :'s_workspace_id'),
       ('Ice Field', 'ranking', '{cold}', 'Pale blues with a faint aurora on the horizon.', .3, .3, .3, .3, .3, :'s_workspace_id'),
       ('Café Crème', 'ranking', '{coffee}', 'Crème and caramel — très chic. 日本語のテキスト 🎨', .4, .6, .3, .7, .3, :'s_workspace_id');

-- 150 presets made to test paging: repeated names, repeated axes, and equal text scores, so that
-- every order has ties that only the id can break.
insert into public.presets (name, category, tags, description, density, warmth, playfulness, sophistication, energy, workspace_id)
select (array['Zephyr Alpha', 'Beta', 'Gamma Zephyr', 'Delta', 'Epsilon'])[1 + i % 5], 'paging', array['page', 'p' || (i % 3)],
       case when i % 2 = 0 then 'zephyr wind' else 'calm zephyr breeze over zephyr hills' end,
       (i % 4) / 4.0, (i % 3) / 3.0, .5, .5, .5, :'s_workspace_id'
from generate_series(1, 150) as g(i);

-- Walks every page with the keyset of the last row and returns the rows in the order received.
create function pg_temp.walk(query text, near double precision[], size integer, category text default 'paging')
returns table (pos integer, id uuid, name text, score double precision)
language plpgsql
as $$
declare
  r record;
  got integer;
  last_score double precision;
  last_name text;
  last_id uuid;
  pages integer := 0;
begin
  pos := 0;
  loop
    got := 0;
    for r in select * from public.search_presets(query_text => query, near_axes => near, category_filter => category,
                                                 after_score => last_score, after_name => last_name, after_id => last_id,
                                                 page_size => size) loop
      got := got + 1;
      pos := pos + 1;
      id := r.id; name := r.name; score := r.score;
      return next;
      last_score := r.score; last_name := r.name; last_id := r.id;
    end loop;
    exit when got < size;
    pages := pages + 1;
    if pages > 500 then
      raise exception 'pagination does not end';
    end if;
  end loop;
end
$$;
grant execute on function pg_temp.walk(text, double precision[], integer, text) to anon, authenticated, service_role;

select tests.authenticate_as(:'s_viewer_id');

-- =============================================================================================
-- Text: ranking and fuzziness
-- =============================================================================================
select results_eq($$select name from public.search_presets('aurora') where category = 'ranking'$$,
  array['Aurora', 'Polar Night', 'Ice Field'], 'a match in the name ranks above one in the tags, which ranks above one in the description');
select results_eq($$select name from public.search_presets('developer tool') limit 1$$, array['Developer Tool'],
  'the preset named after the query comes first');
select results_eq($$select name from public.search_presets('luxury') limit 1$$, array['Quiet Luxury'],
  'a category word finds the preset that also has it in its name first');
select ok((select bool_and(score > 0) from public.search_presets('aurora')), 'text results carry a positive relevance score');
select results_eq($$select name from public.search_presets('resturant')$$, array['Farm-to-Table Restaurant'],
  'a misspelt word still finds its preset (trigram fuzziness)');
select results_eq($$select name from public.search_presets('developr') limit 1$$, array['Developer Tool'], 'so does a dropped letter');
select results_eq($$select name from public.search_presets('editoral magazne') limit 1$$, array['Editorial Magazine'], 'and two typos at once');
select results_eq($$select name from public.search_presets('meditation') $$, array['Calm Wellness'], 'a tag is searchable text');
select results_eq($$select name from public.search_presets('warm premium') limit 1$$, array['Boutique Hotel'],
  'several words: the preset matching all of them comes first');
select ok((select count(*) > 1 from public.search_presets('warm premium')), 'and presets matching only some still follow');
select results_eq($$select name from public.search_presets('RESTAURANT')$$, array['Farm-to-Table Restaurant'], 'search is case-insensitive');
select is_empty($$select * from public.search_presets('qwxzvbnm')$$, 'gibberish finds nothing');

-- Hostile and unusual input is harmless.
select lives_ok($$select * from public.search_presets($q$'; drop table public.presets; --$q$)$$, 'a query with SQL in it is just text');
select ok(to_regclass('public.presets') is not null, 'and the table is still there');
select lives_ok($$select * from public.search_presets($q$:* & | ! ( ) <-> " \ % _ ' ; --$q$)$$, 'tsquery and LIKE metacharacters do not break the search');
select lives_ok($$select * from public.search_presets(repeat('x', 5000))$$, 'a very long query is fine');
select lives_ok($$select * from public.search_presets('   ')$$, 'a blank query is fine');
select is((select count(*) from public.search_presets('   ', page_size => 100)), (select count(*) from public.search_presets(page_size => 100)),
  'and a blank query is no filter');
select results_eq($$select name from public.search_presets('café crème') limit 1$$, array['Café Crème'], 'accented words are found');
select results_eq($$select name from public.search_presets('日本語のテキスト')$$, array['Café Crème'], 'CJK text is found');
select lives_ok($$select * from public.search_presets('🎨 ∑ ñ')$$, 'emoji and symbols are harmless');

-- =============================================================================================
-- Filters
-- =============================================================================================
select set_eq($$select name from public.search_presets(tag_filter => array['bold', 'startup'])$$,
  array['Modern Tech Startup', 'Fintech Challenger'], 'tag_filter keeps presets with all the given tags');
select set_eq($$select name from public.search_presets(category_filter => 'luxury')$$,
  array['Quiet Luxury', 'Boutique Hotel', 'Haute Couture'], 'category_filter keeps one category');
select set_eq($$select name from public.search_presets('trust', category_filter => 'finance')$$,
  array['Private Banking'], 'text and category combine');
select set_eq($$select id from public.search_presets(axes_min => array[0, 0, 0, 0.9, 0], page_size => 100)$$,
  $$select id from public.presets where sophistication >= 0.9$$, 'axes_min alone bounds from below (the rest default to 0..1)');
select set_eq($$select id from public.search_presets(axes_max => array[1, 1, 1, 1, 0.2], page_size => 100)$$,
  $$select id from public.presets where energy <= 0.2$$, 'axes_max alone bounds from above');
select set_eq($$select id from public.search_presets(axes_min => array[0.4, 0.4, 0, 0, 0], axes_max => array[0.6, 0.6, 1, 1, 1], page_size => 100)$$,
  $$select id from public.presets where density between 0.4 and 0.6 and warmth between 0.4 and 0.6$$,
  'axis ranges are inclusive boxes over all five axes');
select set_eq($$select name from public.search_presets(tag_filter => array['trust'], axes_max => array[1, 1, 1, 1, 0.3])$$,
  array['Clinical Care', 'Private Banking'], 'tags and axis ranges combine');

-- Nearness
select results_eq($$select name, score from public.search_presets(near_axes => array[0.85, 0.20, 0.15, 0.55, 0.50], page_size => 1)$$,
  $$values ('Developer Tool', 0::float8)$$, 'the preset with exactly these axes comes first, at distance 0');
select results_eq($$select id from public.search_presets(near_axes => array[0.3, 0.7, 0.5, 0.5, 0.5], page_size => 100)$$,
  $$select id from public.presets
    order by sqrt((density - .3) ^ 2 + (warmth - .7) ^ 2 + (playfulness - .5) ^ 2 + (sophistication - .5) ^ 2 + (energy - .5) ^ 2), id
    limit 100$$,
  'near_axes orders by Euclidean distance over the five axes, then id');

-- Scope and RLS
select is((select count(*) from public.search_presets(scope_filter => 'builtin', page_size => 100)), 21::bigint, 'scope builtin: the 21 built-in presets');
select is((select count(*) from public.search_presets(scope_filter => 'custom', page_size => 100)), 100::bigint,
  'scope custom: the workspace''s presets (a full page of them)');
select ok((select bool_and(not is_builtin) from public.search_presets(scope_filter => 'custom')), 'and only custom ones');
select tests.authenticate_as(:'stranger');
select is((select count(*) from public.search_presets('aurora')), 0::bigint, 'a non-member does not find a workspace''s presets');
select tests.authenticate_as_anon();
select is((select count(*) from public.search_presets(scope_filter => 'custom')), 0::bigint, 'anon finds no custom presets');
select is((select count(*) from public.search_presets(page_size => 100)), 21::bigint, 'anon finds the built-in presets');
select tests.authenticate_as(:'s_viewer_id');

-- The function applies the presets' read policies itself (it is SECURITY DEFINER so that its indexes
-- work): for every kind of caller, walking all its pages finds exactly the rows RLS lets them select.
\set all_pages 'select id from pg_temp.walk(null, null, 100, null)'
select tests.authenticate_as_anon();
select set_eq(:'all_pages', 'select id from public.presets', 'anon: search sees exactly what RLS shows (built-in presets)');
select tests.authenticate_as(:'stranger');
select set_eq(:'all_pages', 'select id from public.presets', 'a user without workspaces: built-in presets and their own');
select tests.authenticate_as(:'s_viewer_id');
select set_eq(:'all_pages', 'select id from public.presets', 'a viewer: built-in, their own, their workspace''s');
select tests.authenticate_as(:'s_editor_id');
select set_eq(:'all_pages', 'select id from public.presets', 'an editor: not a teammate''s personal preset');
select tests.authenticate_as(:'t_owner_id');
select set_eq(:'all_pages', 'select id from public.presets', 'the owner of another workspace: only that workspace''s');
select tests.authenticate_as(:'admin');
select set_eq(:'all_pages', 'select id from public.presets', 'a platform admin: built-in presets and their own');
select tests.authenticate_as_service_role();
select set_eq(:'all_pages', 'select id from public.presets', 'the service role: everything');
-- Callers that set a role but no JWT claims: inside the function current_user is its owner, so
-- they must not be taken for an admin session (they were, and saw everything).
select tests.clear_authentication();
set local role anon;
select set_eq(:'all_pages', 'select id from public.presets', 'anon without claims: the built-in presets, as RLS shows');
select tests.clear_authentication();
set local role authenticated;
select set_eq(:'all_pages', 'select id from public.presets', 'the authenticated role without claims: the built-in presets, as RLS shows');
select tests.authenticate_as(:'s_viewer_id');
select results_eq($$select name from public.search_presets(category_filter => 'private')$$, array['Viewer private'],
  'so the viewer finds their own private preset but not the stranger''s or team T''s');

-- =============================================================================================
-- Page size and validation
-- =============================================================================================
select is((select count(*) from public.search_presets(page_size => 1000)), 100::bigint, 'page_size is capped at 100');
select is((select count(*) from public.search_presets(page_size => 0)), 1::bigint, 'page_size below 1 means 1');
select is((select count(*) from public.search_presets(page_size => null)), 20::bigint, 'page_size defaults to 20');
select throws_ok($$select * from public.search_presets(axes_min => array[0, 0, 0, 0])$$, '22023', null, 'four axes are rejected');
select throws_ok($$select * from public.search_presets(axes_max => array[1, 1, 1, 1, 1, 1])$$, '22023', null, 'six axes are rejected');
select throws_ok($$select * from public.search_presets(near_axes => array[]::float8[])$$, '22023', null, 'no axes are rejected');
select throws_ok($$select * from public.search_presets(near_axes => array[0.5, null, 0.5, 0.5, 0.5])$$, '22023', null, 'a null axis is rejected');
select throws_ok($$select * from public.search_presets(axes_min => array['NaN', 0, 0, 0, 0]::float8[])$$, '22023', null, 'a NaN axis is rejected');
select throws_ok($$select * from public.search_presets(near_axes => array['Infinity', 0, 0, 0, 0]::float8[])$$, '22023', null, 'an infinite axis is rejected');
select throws_ok($$select * from public.search_presets(axes_min => array[[0, 0, 0, 0, 0]]::float8[])$$, '22023', null, 'a two-dimensional axis array is rejected');
select throws_ok($$select * from public.search_presets(scope_filter => 'everything')$$, '22023', null, 'an unknown scope is rejected');

-- =============================================================================================
-- Keyset pagination: every row exactly once, in order, in all three orders
-- =============================================================================================
create temporary table walked as
  select 'name' as walk_order, w.* from pg_temp.walk(null, null, 7) w
  union all select 'text', w.* from pg_temp.walk('zephyr', null, 7) w
  union all select 'near', w.* from pg_temp.walk(null, array[0.5, 0.5, 0.5, 0.5, 0.5], 7) w;

select results_eq($$select walk_order, count(*), count(distinct id) from walked group by 1 order by 1$$,
  $$values ('name', 150::bigint, 150::bigint), ('near', 150::bigint, 150::bigint), ('text', 150::bigint, 150::bigint)$$,
  'walking 7-row pages returns all 150 rows exactly once in each order');
select is_empty($$select a.pos from walked a join walked b on b.walk_order = a.walk_order and b.pos = a.pos + 1
                  where a.walk_order = 'name' and not ((a.name, a.id) < (b.name, b.id))$$,
  'the name order is strictly increasing in (name, id) across page boundaries');
select is_empty($$select a.pos from walked a join walked b on b.walk_order = a.walk_order and b.pos = a.pos + 1
                  where a.walk_order = 'text' and not (a.score > b.score or (a.score = b.score and a.id < b.id))$$,
  'the text order is by score descending, then id, across page boundaries');
select is_empty($$select a.pos from walked a join walked b on b.walk_order = a.walk_order and b.pos = a.pos + 1
                  where a.walk_order = 'near' and not ((a.score, a.id) < (b.score, b.id))$$,
  'the near order is by distance ascending, then id, across page boundaries');
select ok((select count(*) > count(distinct score) from walked where walk_order = 'text')
          and (select count(*) > count(distinct score) from walked where walk_order = 'near')
          and (select count(*) > count(distinct name) from walked where walk_order = 'name'),
  'the walks did cross ties, so the id tie-break was exercised');
select set_eq($$select id from walked where walk_order = 'name'$$, $$select id from public.presets where category = 'paging'$$,
  'the pages cover exactly the matching presets');
select results_eq($$select id from walked where walk_order = 'name' order by pos$$,
  $$select id from public.presets where category = 'paging' order by name, id$$, 'the name walk equals one ordered query');
select results_eq($$select id from walked where walk_order = 'text' order by pos$$,
  $$select id from pg_temp.walk('zephyr', null, 100) order by pos$$, 'the text walk does not depend on the page size');
select results_eq($$select id from walked where walk_order = 'near' order by pos$$,
  $$select id from pg_temp.walk(null, array[0.5, 0.5, 0.5, 0.5, 0.5], 100) order by pos$$, 'the near walk does not depend on the page size');

select * from finish();
rollback;
