// Where to listen: the private Realtime topics of a workspace or brand DNA carry the workspace's
// access epoch (`workspace:<id>:<epoch>`, `brand_dna:<id>:<epoch>`), which the database replaces
// whenever someone loses access. Members learn the current topics from the API; the old topics get
// a last `topic_closed` message that says nothing about the new ones.
import * as z from 'zod';
import { toIsoTimestamp } from './mapping.ts';
import { IdSchema, TimestampSchema } from './schemas.ts';

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/** A workspace's access epoch: 32 lower-case hex characters, random. */
export const EpochSchema = z.string().regex(/^[0-9a-f]{32}$/, { error: 'must be an access epoch (32 lower-case hex characters)' });
/** `workspace:<id>:<epoch>` or `brand_dna:<id>:<epoch>`. */
export const REALTIME_TOPIC_PATTERN = new RegExp(`^(?:workspace|brand_dna):${UUID}:[0-9a-f]{32}$`);

/** The event of the last message on a topic whose epoch has ended. */
export const TOPIC_CLOSED_EVENT = 'topic_closed';

export const RealtimeTopicsQuerySchema = z
  .strictObject({
    after: EpochSchema.optional().describe(
      'An epoch whose topics were closed: answer with the epoch that followed it (which may have ended too; follow on until it has not) instead of the current one.',
    ),
  })
  .meta({ id: 'RealtimeTopicsQuery' });

export const RealtimeTopicsSchema = z
  .object({
    workspaceId: IdSchema,
    epoch: EpochSchema.describe('The access epoch these topics belong to; pass it as `after` when they are closed.'),
    topic: z
      .string()
      .regex(REALTIME_TOPIC_PATTERN)
      .describe('Private topic of the database\'s change broadcasts (INSERT, UPDATE, DELETE and the final topic_closed); clients may only read it.'),
    presenceTopic: z.string().describe('Its side topic (`<topic>:presence`) for presence and client broadcasts (editors and owners).'),
    replaySince: TimestampSchema.describe(
      'Join with broadcast replay since this time: after a move, the replay holds everything sent there meanwhile, including a topic_closed if this epoch has ended too.',
    ),
  })
  .meta({
    id: 'RealtimeTopics',
    description:
      'Private Realtime topics of an access epoch. They change when someone loses access to the workspace: the old ones get a `topic_closed` broadcast, and members ask again with `after` set to the old epoch.',
  });
export type RealtimeTopics = z.infer<typeof RealtimeTopicsSchema>;

/** A row of public.realtime_topics(). */
export interface RealtimeTopicsRow {
  workspace_id: string;
  epoch: string;
  topic: string;
  presence_topic: string;
  replay_since: Date | string;
}

export function realtimeTopicsFromRow(row: RealtimeTopicsRow): RealtimeTopics {
  return { workspaceId: row.workspace_id, epoch: row.epoch, topic: row.topic, presenceTopic: row.presence_topic, replaySince: toIsoTimestamp(row.replay_since) };
}
