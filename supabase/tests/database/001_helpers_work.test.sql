-- The helpers of 000_helpers do what the other files rely on.
begin;
select plan(24);

select tests.create_user('ada@test.local', '{"role": "admin"}', '{"display_name": "Ada L."}') as ada \gset
select tests.create_user('bob@test.local') as bob \gset

select is(tests.get_user_id('ada@test.local'), :'ada'::uuid, 'get_user_id finds the user by e-mail');
select is((select display_name from public.profiles where id = :'ada'), 'Ada L.', 'creating a user fires the profiles trigger (display_name from user_metadata)');
select is((select display_name from public.profiles where id = :'bob'), 'bob', 'without a display name the profile falls back to the e-mail''s local part');
select is((select email from public.profiles where id = :'bob'), 'bob@test.local', 'the profile copies the e-mail');

-- A real access token's claims (docs/PLATFORM.md, "Access-token claims").
select set_eq(
  format('select jsonb_object_keys(tests.jwt_claims(%L))', :'ada'),
  array['iss', 'sub', 'aud', 'exp', 'iat', 'email', 'phone', 'app_metadata', 'user_metadata', 'role', 'aal', 'amr',
        'session_id', 'is_anonymous'],
  'jwt_claims carries every claim of a Supabase access token');
select is(tests.jwt_claims(:'ada') -> 'app_metadata' ->> 'role', 'admin', 'app_metadata comes from auth.users.raw_app_meta_data');
select is(tests.jwt_claims(:'ada') -> 'app_metadata' ->> 'provider', 'email', 'app_metadata keeps the provider');

select tests.authenticate_as(:'ada');
select is(current_user::text, 'authenticated', 'authenticate_as switches to the authenticated role');
select is(auth.uid(), :'ada'::uuid, 'auth.uid() is the user');
select is(auth.role(), 'authenticated', 'auth.role() is authenticated');
select is(auth.email(), 'ada@test.local', 'auth.email() is the user''s e-mail');
select is(auth.jwt() ->> 'aud', 'authenticated', 'the aud claim is authenticated');
select is(auth.jwt() ->> 'is_anonymous', 'false', 'is_anonymous is present and false');
select ok(private.is_admin(), 'app_metadata.role = admin makes a platform admin');

select tests.authenticate_as(:'bob');
select is(auth.uid(), :'bob'::uuid, 'switching to another user replaces the claims');
select ok(not private.is_admin(), 'a plain user is no platform admin');

select tests.authenticate_as_anon();
select is(current_user::text, 'anon', 'authenticate_as_anon switches to anon');
select is(auth.uid(), null, 'anon has no user id');
select is(auth.role(), 'anon', 'the anon key says role anon');

select tests.authenticate_as_service_role();
select is(current_user::text, 'service_role', 'authenticate_as_service_role switches to service_role');
select is(auth.jwt(), '{"role": "service_role"}'::jsonb, 'the service role carries {"role":"service_role"}');
select ok(private.is_service(), 'the project recognises the service role');

select tests.clear_authentication();
select is(auth.jwt(), null, 'clear_authentication removes the claims');
select is(current_user, session_user, 'clear_authentication returns to the session user');

select * from finish();
rollback;
