-- private.take_rate_limit(): fixed-window counters kept in Postgres, taken one request at a time
-- or as a lease of several. now() is fixed within a transaction, so windows that started in the
-- past are made by moving window_started_at back.
begin;
select plan(27);

select results_eq($$select * from private.take_rate_limit('user:a:write', 3, 60)$$, $$values (1, 2, 60)$$,
  'the first request of a window is allowed, two remain, the window resets in 60 s');
select results_eq($$select * from private.take_rate_limit('user:a:write', 3, 60)$$, $$values (1, 1, 60)$$, 'the second is allowed, one remains');
select results_eq($$select * from private.take_rate_limit('user:a:write', 3, 60)$$, $$values (1, 0, 60)$$, 'the third is allowed, none remain');
select results_eq($$select * from private.take_rate_limit('user:a:write', 3, 60)$$, $$values (0, 0, 60)$$, 'the fourth is refused');
select results_eq($$select * from private.take_rate_limit('user:a:write', 3, 60)$$, $$values (0, 0, 60)$$, 'and so is the fifth');
select results_eq($$select key, hits, window_started_at = now() from private.rate_limit_buckets where key = 'user:a:write'$$,
  $$values ('user:a:write', 5, true)$$, 'the bucket counts every request, refused ones included');

select results_eq($$select * from private.take_rate_limit('user:b:write', 3, 60)$$, $$values (1, 2, 60)$$, 'other buckets are counted separately');
select results_eq($$select * from private.take_rate_limit('ip:192.0.2.1:auth', 1, 30)$$, $$values (1, 0, 30)$$, 'a limit of one allows exactly one …');
select results_eq($$select * from private.take_rate_limit('ip:192.0.2.1:auth', 1, 30)$$, $$values (0, 0, 30)$$, '… and refuses the next');

-- Time passes: the window of user:a started 45 s ago.
update private.rate_limit_buckets set window_started_at = now() - interval '45 seconds' where key = 'user:a:write';
select results_eq($$select * from private.take_rate_limit('user:a:write', 3, 60)$$, $$values (0, 0, 15)$$,
  'still in the window: refused, and the reset is 15 s away');
update private.rate_limit_buckets set window_started_at = now() - interval '59.9 seconds' where key = 'user:a:write';
select results_eq($$select reset_seconds from private.take_rate_limit('user:a:write', 3, 60)$$, array[1],
  'a reset a fraction of a second away is rounded up to 1 s, never 0');

-- The window is over: the count starts again.
update private.rate_limit_buckets set window_started_at = now() - interval '61 seconds' where key = 'user:a:write';
select results_eq($$select * from private.take_rate_limit('user:a:write', 3, 60)$$, $$values (1, 2, 60)$$,
  'after the window ends the first request of the new window is allowed again');
select results_eq($$select hits, window_started_at = now() from private.rate_limit_buckets where key = 'user:a:write'$$,
  $$values (1, true)$$, 'the new window starts now with one hit');
update private.rate_limit_buckets set window_started_at = now() - interval '60 seconds' where key = 'user:a:write';
select results_eq($$select granted, remaining from private.take_rate_limit('user:a:write', 3, 60)$$, $$values (1, 2)$$,
  'a window ends exactly after its length');
select results_eq($$select granted, remaining from private.take_rate_limit('user:a:write', 3, 60)$$, $$values (1, 1)$$,
  'and the new one counts on from there');

-- A different limit on the same bucket applies to the stored count (the API owns the numbers).
select results_eq($$select granted, remaining from private.take_rate_limit('user:a:write', 10, 60)$$, $$values (1, 7)$$,
  'the limit is the caller''s; the count is the bucket''s');
select is((select count(*) from private.rate_limit_buckets where key like 'user:%' or key like 'ip:%'), 3::bigint, 'one row per bucket');

-- Leases: an API isolate takes several requests at once and spends them from memory.
select results_eq($$select * from private.take_rate_limit('user:c:read', 10, 60, 4)$$, $$values (4, 6, 60)$$, 'a lease of four is granted whole');
select results_eq($$select * from private.take_rate_limit('user:c:read', 10, 60, 4)$$, $$values (4, 2, 60)$$, 'and another');
select results_eq($$select * from private.take_rate_limit('user:c:read', 10, 60, 4)$$, $$values (2, 0, 60)$$, 'the next gets only what is left of the limit');
select results_eq($$select * from private.take_rate_limit('user:c:read', 10, 60, 4)$$, $$values (0, 0, 60)$$, 'then nothing until the window ends');
select results_eq($$select * from private.take_rate_limit('user:c:read', 10, 60, 1)$$, $$values (0, 0, 60)$$, 'single requests are refused too');
select throws_ok($$select * from private.take_rate_limit('user:c:read', 0, 60)$$, '22023', null, 'a limit below one is a caller error');

-- Only the API's own connection may count.
select tests.authenticate_as_anon();
select throws_ok($$select * from private.take_rate_limit('ip:x:auth', 100, 60)$$, '42501', null, 'anon cannot call the rate limiter');
select throws_ok($$select * from private.rate_limit_buckets$$, '42501', null, 'anon cannot read the buckets');
select tests.authenticate_as(tests.create_user('limited@test.local'));
select throws_ok($$select * from private.take_rate_limit('ip:x:auth', 100, 60)$$, '42501', null, 'a signed-in user cannot call the rate limiter');
select throws_ok($$delete from private.rate_limit_buckets$$, '42501', null, 'nor reset the buckets');

select * from finish();
rollback;
