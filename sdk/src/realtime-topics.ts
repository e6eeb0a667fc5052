// Where to listen: the private Realtime topics of a workspace or brand DNA carry the workspace's
// access epoch (`workspace:<id>:<epoch>`, `brand_dna:<id>:<epoch>`), which the database replaces
// whenever someone loses access. Members learn the current topics from the API; the old topics get
// a last `topic_closed` message that says nothing about the new ones.
import * as z from 'zod';
import { toIsoTimestamp } from './mapping.ts';
import { IdSchema, TimestampSchema } from './schemas.ts';

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/** `workspace:<id>:<epoch>` or `brand_dna:<id>:<epoch>`, the epoch being 32 lower-case hex characters. */
export const REALTIME_TOPIC_PATTERN = new RegExp(`^(?:workspace|brand_dna):${UUID}:[0-9a-f]{32}$`);

/** The event of the last message on a topic whose epoch has ended. */
export const TOPIC_CLOSED_EVENT = 'topic_closed';

export const RealtimeTopicsSchema = z
  .object({
    workspaceId: IdSchema,
    topic: z
      .string()
      .regex(REALTIME_TOPIC_PATTERN)
      .describe('Private topic of the database\'s change broadcasts (INSERT, UPDATE, DELETE and the final topic_closed); clients may only read it.'),
    presenceTopic: z.string().describe('Its side topic (`<topic>:presence`) for presence and client broadcasts (editors and owners).'),
    replaySince: TimestampSchema.describe(
      'After a topic_closed, join the new topic with broadcast replay since this time: the new topic holds everything you may have missed while moving.',
    ),
  })
  .meta({
    id: 'RealtimeTopics',
    description:
      'The current private Realtime topics. They change when someone loses access to the workspace; the old ones then get a `topic_closed` broadcast, and members ask here again.',
  });
export type RealtimeTopics = z.infer<typeof RealtimeTopicsSchema>;

/** A row of public.realtime_topics(). */
export interface RealtimeTopicsRow {
  workspace_id: string;
  topic: string;
  presence_topic: string;
  replay_since: Date | string;
}

export function realtimeTopicsFromRow(row: RealtimeTopicsRow): RealtimeTopics {
  return { workspaceId: row.workspace_id, topic: row.topic, presenceTopic: row.presence_topic, replaySince: toIsoTimestamp(row.replay_since) };
}
