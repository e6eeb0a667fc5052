-- Teammates cannot forge database events. The topics the database broadcasts on, `brand_dna:<id>`
-- and `workspace:<id>`, become read-only for every client. Realtime decides whether a client may
-- write on a channel once, at its first send or track, by inserting a probe row that carries only
-- the topic and the extension (no event, no payload) under the client's role: a policy cannot tell
-- a harmless event from a forged "UPDATE" there, so it may grant no write on those topics at all.
-- Clients talk to each other on the side topics `brand_dna:<id>:presence` and
-- `workspace:<id>:presence`: members share presence, editors and owners may also broadcast.
--
-- The database's own sends are unaffected: the brand_dna trigger is SECURITY DEFINER, so
-- realtime.send inserts as the trigger's owner (`postgres`, which bypasses RLS on hosted projects
-- too). supabase/tests/database/080_realtime.test.sql checks both sides.

drop policy "members share presence, editors broadcast, on their workspace's topics" on realtime.messages;

create policy "members share presence, editors broadcast, on the :presence side topics only" on realtime.messages
  for insert to authenticated
  with check (
    (select realtime.topic()) like '%:presence'
    and ((extension = 'presence'
          and (select private.workspace_of_topic((select realtime.topic()))) in (select private.member_workspace_ids()))
      or (extension = 'broadcast'
          and (select private.has_workspace_role(private.workspace_of_topic((select realtime.topic())), 'editor'))))
  );
