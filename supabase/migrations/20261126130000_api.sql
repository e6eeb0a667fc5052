-- What the REST API (functions/api) needs beyond the schema: rate-limit leases.
--
-- private.take_rate_limit() counts one request per call, so an API isolate would pay a write
-- transaction on the caller's bucket row for every request (and every request of one user queues
-- on that row lock). take_rate_limit_lease() takes up to `wanted` requests of the current window at
-- once; the isolate spends them from memory and comes back when they are gone. Counters stay in
-- Postgres, so limits still hold across isolates: an isolate can only spend what it was granted,
-- and a lease unused when its isolate goes away is at most `wanted` requests a client cannot make
-- in that window.

create or replace function private.take_rate_limit_lease(bucket text, max_hits integer, window_seconds integer, wanted integer)
returns table (granted integer, remaining integer, reset_seconds integer)
language plpgsql
set search_path = ''
as $$
declare
  window_length interval := make_interval(secs => window_seconds);
  want integer := greatest(coalesce(wanted, 1), 1);
  row_now private.rate_limit_buckets;
  taken integer;
begin
  if max_hits is null or max_hits < 1 or window_seconds is null or window_seconds < 1 then
    raise exception 'max_hits and window_seconds must be positive' using errcode = '22023';
  end if;
  loop
    select * into row_now from private.rate_limit_buckets b where b.key = bucket for update;
    if not found then
      taken := least(want, max_hits);
      begin
        insert into private.rate_limit_buckets (key, window_started_at, hits)
        values (bucket, now(), taken)
        returning * into row_now;
        exit;
      exception when unique_violation then
        -- Another request created the bucket meanwhile: lock and count on it instead.
      end;
    elsif row_now.window_started_at + window_length <= now() then
      taken := least(want, max_hits);
      update private.rate_limit_buckets b set window_started_at = now(), hits = taken
      where b.key = bucket
      returning * into row_now;
      exit;
    else
      taken := least(want, greatest(max_hits - row_now.hits, 0));
      if taken > 0 then
        update private.rate_limit_buckets b set hits = b.hits + taken
        where b.key = bucket
        returning * into row_now;
      end if;
      exit;
    end if;
  end loop;

  -- Now and then, forget buckets whose window ended long ago.
  if random() < 0.001 then
    delete from private.rate_limit_buckets b where b.window_started_at < now() - interval '1 day';
  end if;

  return query select
    taken,
    greatest(max_hits - row_now.hits, 0),
    greatest(ceil(extract(epoch from row_now.window_started_at + window_length - now()))::integer, 1);
end
$$;
comment on function private.take_rate_limit_lease(text, integer, integer, integer) is
  'Takes up to `wanted` requests from a bucket''s current fixed window (max_hits per window_seconds) and says how many were granted (0 = limited), how many remain after that, and when the window resets. For the API, which spends leases from memory.';
revoke execute on function private.take_rate_limit_lease(text, integer, integer, integer) from public, anon, authenticated;
