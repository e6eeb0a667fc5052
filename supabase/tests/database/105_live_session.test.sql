-- private.require_live_session(): the API's check that an access token's session has not ended
-- (signed out, refresh-token reuse, user deleted, past not_after). Only `postgres` may call it.
begin;
select plan(12);

select ok(
  (select prosecdef from pg_proc where oid = 'private.require_live_session(uuid, uuid)'::regprocedure),
  'it runs as its owner (SECURITY DEFINER), who may read Auth''s tables');
select is(
  (select proconfig from pg_proc where oid = 'private.require_live_session(uuid, uuid)'::regprocedure),
  array['search_path=""'], 'with an empty search_path');
select ok(not has_function_privilege('anon', 'private.require_live_session(uuid, uuid)', 'execute'), 'anon may not call it');
select ok(not has_function_privilege('authenticated', 'private.require_live_session(uuid, uuid)', 'execute'), 'authenticated may not call it');
select ok(not has_function_privilege('service_role', 'private.require_live_session(uuid, uuid)', 'execute'), 'the service role may not call it');

create temporary table fixture as
select tests.create_user('live-session@example.com') as user_id, gen_random_uuid() as session_id, gen_random_uuid() as stranger;
insert into auth.sessions (id, user_id, created_at, updated_at, aal) select session_id, user_id, now(), now(), 'aal1' from fixture;
insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, session_id)
select '00000000-0000-0000-0000-000000000000', 'live-token-1', user_id::text, false, now(), now(), session_id from fixture;

select lives_ok($$select private.require_live_session(session_id, user_id) from fixture$$, 'a session with a live refresh token passes');
select throws_ok($$select private.require_live_session(gen_random_uuid(), user_id) from fixture$$, 'TKA01', null, 'a session that does not exist fails with TKA01');
select throws_ok($$select private.require_live_session(session_id, stranger) from fixture$$, 'TKA01', null, 'so does a session of another user');

update auth.refresh_tokens set revoked = true where token = 'live-token-1';
select throws_ok($$select private.require_live_session(session_id, user_id) from fixture$$, 'TKA01', null,
  'every refresh token revoked (reuse of an old one): the session has ended although its row stays');
update auth.sessions set refresh_token_hmac_key = 'key' where id = (select session_id from fixture);
select lives_ok($$select private.require_live_session(session_id, user_id) from fixture$$,
  'a session with the newer kind of refresh token (kept in the session) passes without token rows');
update auth.sessions set not_after = now() - interval '1 second' where id = (select session_id from fixture);
select throws_ok($$select private.require_live_session(session_id, user_id) from fixture$$, 'TKA01', null, 'past not_after the session has ended');
update auth.sessions set not_after = null where id = (select session_id from fixture);
delete from auth.users where id = (select user_id from fixture);
select throws_ok($$select private.require_live_session(session_id, user_id) from fixture$$, 'TKA01', null, 'a deleted user''s sessions are gone');

select * from finish();
rollback;
