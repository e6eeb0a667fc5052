-- Rate-limit counters for the API. Kept in Postgres so that every Edge Function isolate shares
-- them. Internal: only the API's own database connection uses them, before it switches into the
-- caller's role.

create table private.rate_limit_buckets (
  key text primary key,
  window_started_at timestamptz not null,
  hits integer not null,
  constraint rate_limit_buckets_key_length check (char_length(key) <= 200),
  constraint rate_limit_buckets_hits_positive check (hits >= 1)
);
comment on table private.rate_limit_buckets is
  'Fixed-window request counters of the API, one row per bucket (e.g. user:<id>:write or ip:<address>:auth). Safe to truncate: limits start over.';
comment on column private.rate_limit_buckets.key is 'Bucket: who (user id or client IP) and which class of request.';
comment on column private.rate_limit_buckets.window_started_at is 'Start of the current window.';
comment on column private.rate_limit_buckets.hits is 'Requests counted in the current window.';

create index rate_limit_buckets_window_started_at_idx on private.rate_limit_buckets (window_started_at);

alter table private.rate_limit_buckets enable row level security;
revoke all on private.rate_limit_buckets from public, anon, authenticated;

-- An API isolate takes `wanted` requests of a window at once (a lease) and spends them from memory,
-- so that most requests need no write on the caller's bucket row; small limits lease one at a time,
-- which is exact. Limits still hold across isolates: an isolate only spends what it was granted, and
-- a lease left unused when its isolate goes away is at most `wanted` requests nobody makes.
create or replace function private.take_rate_limit(bucket text, max_hits integer, window_seconds integer, wanted integer default 1)
returns table (granted integer, remaining integer, reset_seconds integer)
language plpgsql
set search_path = ''
as $$
declare
  window_length interval := make_interval(secs => window_seconds);
  want integer := greatest(coalesce(wanted, 1), 1);
  row_now private.rate_limit_buckets;
begin
  if max_hits is null or max_hits < 1 or window_seconds is null or window_seconds < 1 then
    raise exception 'max_hits and window_seconds must be positive' using errcode = '22023';
  end if;
  -- Every request asked for is counted, refused ones too, so hits - want is the count before this
  -- call (capped far above any limit so that it cannot overflow).
  insert into private.rate_limit_buckets as b (key, window_started_at, hits)
  values (bucket, now(), want)
  on conflict (key) do update set
    window_started_at = case when b.window_started_at + window_length <= now() then now() else b.window_started_at end,
    hits = case when b.window_started_at + window_length <= now() then want
                else least(b.hits::bigint + want, 1000000000)::integer end
  returning * into row_now;

  -- Now and then, forget buckets whose window ended long ago.
  if random() < 0.001 then
    delete from private.rate_limit_buckets where window_started_at < now() - interval '1 day';
  end if;

  return query select
    greatest(least(want, max_hits - (row_now.hits - want)), 0),
    greatest(max_hits - row_now.hits, 0),
    greatest(ceil(extract(epoch from row_now.window_started_at + window_length - now()))::integer, 1);
end
$$;
comment on function private.take_rate_limit(text, integer, integer, integer) is
  'Takes up to `wanted` requests (default 1) from a bucket''s current fixed window of max_hits per window_seconds: how many were granted (0 = limited), how many remain, and in how many seconds the window resets.';
revoke execute on function private.take_rate_limit(text, integer, integer, integer) from public, anon, authenticated;

revoke execute on all functions in schema private from public;
