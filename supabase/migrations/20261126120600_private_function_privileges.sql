-- Fix: functions in the private schema were executable by PUBLIC.
--
-- 20261126120000_foundation.sql meant to stop that with
--   alter default privileges in schema private revoke execute on functions from public;
-- but per-schema default privileges can only add to the global defaults, and the global default
-- gives EXECUTE on every new function to PUBLIC, so that statement changed nothing. Revoke it from
-- the functions themselves. The helpers that policies, checks and generated columns call keep their
-- explicit grants to anon, authenticated and service_role; triggers need no EXECUTE right to fire.
-- A function added to private later needs its own `revoke execute … from public`.
revoke execute on all functions in schema private from public;
