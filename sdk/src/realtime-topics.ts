// Where to listen: the private Realtime topics of a workspace or brand DNA carry the workspace's
// access epoch (`workspace:<id>:<epoch>`, `brand_dna:<id>:<epoch>`), which the database replaces
// whenever someone loses access. Members learn the current topics from the API; the old topics get
// a last `topic_closed` message that says nothing about the new ones.
import * as z from 'zod';
import type { Database } from './database.types.ts';
import { toIsoTimestamp, type AsRead } from './mapping.ts';
import { IdSchema, TimestampSchema } from './schemas.ts';

/** The event of the last message on a topic whose epoch has ended. */
export const TOPIC_CLOSED_EVENT = 'topic_closed';

export const RealtimeTopicsQuerySchema = z
  .strictObject({
    after: z
      .string()
      .regex(/^[0-9a-f]{32}$/, { error: 'must be an access epoch (32 lower-case hex characters)' })
      .optional()
      .describe('A closed epoch: answer with the one that followed it (it may have ended too: then ask again).'),
  })
  .meta({ id: 'RealtimeTopicsQuery' });

/** The answer of GET …/realtime, as the client checks it (the API adds the descriptions: they would
 * only weigh on apps' bundles). */
export const RealtimeTopicsSchema = z.object({
  workspaceId: IdSchema,
  epoch: z.string(),
  topic: z.string(),
  presenceTopic: z.string(),
  replaySince: TimestampSchema,
});
export type RealtimeTopics = z.infer<typeof RealtimeTopicsSchema>;

/** A row of public.realtime_topics(). */
export type RealtimeTopicsRow = AsRead<Database['public']['Functions']['realtime_topics']['Returns'][number], 'replay_since'>;

export function realtimeTopicsFromRow(row: RealtimeTopicsRow): RealtimeTopics {
  return { workspaceId: row.workspace_id, epoch: row.epoch, topic: row.topic, presenceTopic: row.presence_topic, replaySince: toIsoTimestamp(row.replay_since) };
}
