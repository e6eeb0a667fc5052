// Where members listen for live changes: the current private Realtime topics of a workspace or a
// brand DNA. They carry the workspace's access epoch, which the database replaces whenever someone
// loses access; public.realtime_topics() answers members only, so whoever lost access learns nothing.
import { RealtimeTopicsQuerySchema, RealtimeTopicsSchema, realtimeTopicsFromRow, type RealtimeTopicsRow } from '../../../sdk/src/realtime-topics.ts';
import { problem } from '../../_shared/problems.ts';
import { IdParams, json, route, type RouteSpec } from '../registry.ts';

const TAG = 'Realtime';
const RealtimeTopicsDocumented = RealtimeTopicsSchema.extend({
  epoch: RealtimeTopicsSchema.shape.epoch.describe('The access epoch of these topics: pass it as `after` once they are closed.'),
  topic: RealtimeTopicsSchema.shape.topic.describe('Private topic of the database\'s changes (INSERT, UPDATE, DELETE), then of its topic_closed; clients may only read it.'),
  presenceTopic: RealtimeTopicsSchema.shape.presenceTopic.describe('`<topic>:presence`: presence, and broadcasts of editors and owners.'),
  replaySince: RealtimeTopicsSchema.shape.replaySince.describe('Join with broadcast replay since this time: after a move, the replay holds all that was sent there meanwhile, a topic_closed included if this epoch has ended too.'),
}).meta({
  id: 'RealtimeTopics',
  description: 'Private Realtime topics of an access epoch. When someone loses access to the workspace, they get a `topic_closed` broadcast; members then ask again with `after` set to their epoch.',
});
const MOVING =
  'When someone loses access to the workspace, these topics get a last `topic_closed` broadcast and new ones replace them: ask again then with `after` set to the closed epoch, and join the answer with broadcast replay since `replaySince` (the SDK\'s watch and presence do it for you).';

function topicsRoute(family: 'workspace' | 'brand_dna', path: string, operationId: string, what: string): RouteSpec {
  return route({
    method: 'get',
    path,
    operationId,
    summary: `Where to listen for ${what}`,
    description: `Members: the private Realtime topics of ${what} now. ${MOVING} 404 for anyone else, including former members.`,
    tag: TAG,
    auth: 'user',
    params: IdParams,
    query: RealtimeTopicsQuerySchema,
    responses: { 200: { description: 'The current topics, or with `after` those of the epoch that followed it.', schema: RealtimeTopicsDocumented } },
    async handler({ params, query, once }) {
      const [row] = await once((tx) => tx<RealtimeTopicsRow[]>`select * from public.realtime_topics(${family}, ${params.id}, ${query.after ?? null})`);
      if (!row) throw problem.notFound(`There is no ${family === 'workspace' ? 'workspace' : 'brand DNA'} with this id that you can see.`);
      return json(realtimeTopicsFromRow(row));
    },
  });
}

export const realtimeRoutes: RouteSpec[] = [
  topicsRoute('workspace', '/v1/workspaces/:id/realtime', 'getWorkspaceRealtimeTopics', 'a workspace\'s brand DNA changes'),
  topicsRoute('brand_dna', '/v1/brand-dna/:id/realtime', 'getBrandDnaRealtimeTopics', 'a brand DNA\'s changes and presence'),
];
