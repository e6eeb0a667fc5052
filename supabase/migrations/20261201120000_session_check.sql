-- Signing out ends an access token at once. Access tokens are JWTs that stay valid until they
-- expire; the API additionally checks, in the statement that makes each request's transaction the
-- caller's (no extra round trip), that the token's session still exists. It reads Supabase Auth's
-- tables, which only `postgres` may read, so the check is a SECURITY DEFINER function owned by it.

create or replace function private.require_live_session(session_id uuid, user_id uuid)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not exists (
    select 1
    from auth.sessions s
    where s.id = require_live_session.session_id
      and s.user_id = require_live_session.user_id
      and (s.not_after is null or s.not_after > now())
      -- A live session can still be refreshed. Refresh tokens of the older kind are rows, and reusing
      -- an old one revokes every row of its session while the session row stays; the newer kind is
      -- kept in the session itself (its HMAC key), and reuse deletes the session.
      and (s.refresh_token_hmac_key is not null
           or exists (select 1 from auth.refresh_tokens r where r.session_id = s.id and r.revoked is not true))
  ) then
    raise exception 'The session of this access token has ended.' using errcode = 'TKA01';
  end if;
end
$$;
comment on function private.require_live_session(uuid, uuid) is
  'Raises TKA01 unless the session exists for this user, has not passed its not_after and can still be refreshed (signed out, refresh-token reuse, user deleted: it cannot). The API calls it for every access token with a session_id, before it switches into the caller''s role.';
revoke all on function private.require_live_session(uuid, uuid) from public, anon, authenticated, service_role;
grant execute on function private.require_live_session(uuid, uuid) to postgres;
