-- private.is_service(): who counts as the service role (trusted back-end code, and admin sessions
-- such as migrations or Studio's SQL editor), also inside SECURITY DEFINER functions, where
-- current_user is the function's owner rather than the caller.
begin;
select plan(21);

select * from tests.create_team('svc') \gset svc_
select tests.create_user('newcomer@test.local') as newcomer \gset

-- is_service() as a SECURITY DEFINER function owned by the migration role sees it.
create function pg_temp.is_service_in_definer() returns boolean
language sql security definer set search_path = '' as $$ select private.is_service() $$;
grant execute on function pg_temp.is_service_in_definer() to anon, authenticated, service_role;

-- Acts as a database role with no JWT claims at all (a connection that set the role but not the
-- claims, as a misconfigured client or a hand-written SQL session might).
create function pg_temp.act_without_claims(role_name text) returns void
language plpgsql as $$
begin
  perform tests.clear_authentication();
  perform set_config('role', role_name, true);
end
$$;
create function pg_temp.set_claims(claims jsonb) returns void
language sql as $$ select set_config('request.jwt.claims', claims::text, true) $$;
grant execute on function pg_temp.act_without_claims(text), pg_temp.set_claims(jsonb) to anon, authenticated, service_role;

-- The session itself (migrations, seed, Studio's SQL editor): no SET ROLE, no claims.
select tests.clear_authentication();
select ok(private.is_service(), 'an admin session without claims is trusted');
select ok(pg_temp.is_service_in_definer(), 'also inside a SECURITY DEFINER function');
select pg_temp.set_claims(tests.jwt_claims(:'svc_viewer_id'));
select ok(not private.is_service(), 'an admin session that carries a user''s claims acts for that user');
select ok(not pg_temp.is_service_in_definer(), 'also inside a SECURITY DEFINER function');

select tests.authenticate_as_service_role();
select ok(private.is_service(), 'the service role is trusted');
select ok(pg_temp.is_service_in_definer(), 'also inside a SECURITY DEFINER function');

select tests.authenticate_as_anon();
select ok(not private.is_service(), 'the anon key is not trusted');
select ok(not pg_temp.is_service_in_definer(), 'also not inside a SECURITY DEFINER function');

select tests.authenticate_as(:'svc_owner_id');
select ok(not private.is_service(), 'a signed-in user is not trusted');
select ok(not pg_temp.is_service_in_definer(), 'also not inside a SECURITY DEFINER function');
select pg_temp.set_claims('{"role": "service_role"}');
select ok(not pg_temp.is_service_in_definer(), 'claims that say service_role do not make the authenticated role trusted');

-- Callers without claims: current_user inside a SECURITY DEFINER function is its owner, so a test
-- of current_user took them for an admin session.
select pg_temp.act_without_claims('anon');
select is(current_user::text, 'anon', 'acting as anon without claims');
select ok(not private.is_service(), 'anon without claims is not trusted');
select ok(not pg_temp.is_service_in_definer(), 'also not inside a SECURITY DEFINER function');
select pg_temp.act_without_claims('authenticated');
select ok(not private.is_service(), 'the authenticated role without claims is not trusted');
select ok(not pg_temp.is_service_in_definer(), 'also not inside a SECURITY DEFINER function');

-- What that opened: add_workspace_member (SECURITY DEFINER) lets the service role add anyone.
select throws_ok(format($$select * from public.add_workspace_member(%L, 'newcomer@test.local', 'owner')$$, :'svc_workspace_id'),
  '42501', null, 'without claims, nobody can add themselves or others to a workspace');
select tests.clear_authentication();
select is((select count(*) from public.workspace_members where workspace_id = :'svc_workspace_id' and user_id = :'newcomer'), 0::bigint,
  'and no member was added');

-- …and search_presets (SECURITY DEFINER) shows everything to the service role.
insert into public.presets (name, category, description, density, warmth, playfulness, sophistication, energy, owner_id)
values ('Owner secret', 'private', 'Personal.', .5, .5, .5, .5, .5, :'svc_owner_id');
select pg_temp.act_without_claims('anon');
select is_empty($$select * from public.search_presets(category_filter => 'private')$$,
  'anon without claims does not find another user''s personal preset');
select pg_temp.act_without_claims('authenticated');
select is_empty($$select * from public.search_presets(category_filter => 'private')$$,
  'nor does the authenticated role without claims');

select tests.authenticate_as_service_role();
select is((select count(*) from public.search_presets(category_filter => 'private')), 1::bigint,
  'the service role does');

select * from finish();
rollback;
