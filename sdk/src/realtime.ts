// Realtime helpers: teammates' edits arrive as private broadcasts that the database sends for every
// change of a brand DNA (topics `brand_dna:<id>:<epoch>` and `workspace:<id>:<epoch>`, read-only for
// clients), and who is editing is shared through presence on `brand_dna:<id>:<epoch>:presence`. The
// epoch changes whenever someone loses access to the workspace: the old topics then get a last
// `topic_closed`, and each subscription asks the API for its new topic and moves there by itself
// (replaying what it missed), while whoever lost access is told `realtime_access_revoked`. All join
// private channels, so the user's token must be on the socket first (`realtime.setAuth`). Every
// subscription is kept in a `Subscriptions` set, so that signing out can end them all at once.
// Nothing that arrives is trusted: changes are checked against their schema, presence keys against
// the user id the server verified, and what fails is dropped and reported through `onError`, never
// thrown.
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import * as z from 'zod';
import { AXES, type AxisName } from './axes.ts';
import type { StudioError, StudioResult } from './http.ts';
import { brandDnaFromRow, type BrandDnaRow } from './mapping.ts';
import { TOPIC_CLOSED_EVENT } from './realtime-topics.ts';
import { BrandDnaSchema, IdSchema, SemverSchema, type BrandDna } from './schemas.ts';

export type ChangeOperation = 'INSERT' | 'UPDATE' | 'DELETE';

/** One change of a brand DNA, as a teammate's client receives it. */
export interface BrandDnaChange {
  operation: ChangeOperation;
  brandDnaId: string;
  workspaceId: string;
  revision: number;
  version: string;
  /** Who made the change (null when made without a user, e.g. by the service role). */
  actorId: string | null;
  /** Wire fields that changed, e.g. `name`, `axes.energy` (empty for INSERT and DELETE). */
  changed: string[];
  /** The brand DNA after the change; null after a DELETE. */
  brandDna: BrandDna | null;
}

const OperationSchema = z.enum(['INSERT', 'UPDATE', 'DELETE']);

/** A brand DNA change as the SDK hands it out, with the rules of the wire contract. */
export const BrandDnaChangeSchema: z.ZodType<BrandDnaChange> = z
  .object({
    operation: OperationSchema,
    brandDnaId: IdSchema,
    workspaceId: IdSchema,
    revision: z.int().min(1),
    version: SemverSchema,
    actorId: IdSchema.nullable(),
    changed: z.array(z.string()),
    brandDna: BrandDnaSchema.nullable(),
  })
  .refine((c) => (c.brandDna === null) === (c.operation === 'DELETE'), { error: 'a DELETE has no brand DNA, other changes have one' })
  .refine((c) => c.brandDna === null || (c.brandDna.id === c.brandDnaId && c.brandDna.workspaceId === c.workspaceId && c.brandDna.revision === c.revision), {
    error: 'the brand DNA does not match the change',
  });

const rowAxes = Object.fromEntries(AXES.map((axis) => [axis, z.number()])) as Record<AxisName, z.ZodNumber>;

/** `to_jsonb` of a brand_dna row, loosely typed: the values are checked once mapped. */
const BrandDnaRowSchema = z.object({
  id: z.string(),
  workspace_id: z.string(),
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  version: z.string(),
  revision: z.number(),
  preset_id: z.string().nullable(),
  created_by: z.string().nullable(),
  updated_by: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  ...rowAxes,
}) satisfies z.ZodType<BrandDnaRow>;

/** Payload of the database's broadcast (private.broadcast_brand_dna_change), snake_case. */
const ChangePayloadSchema = z.object({
  id: z.string(),
  workspace_id: z.string(),
  operation: OperationSchema,
  revision: z.number(),
  version: z.string(),
  actor_id: z.string().nullable(),
  changed: z.array(z.string()).nullable(),
  record: BrandDnaRowSchema.nullable(),
});
type ChangePayload = z.infer<typeof ChangePayloadSchema>;

const CHANGED_COLUMN_FIELDS: Record<string, string> = {
  workspace_id: 'workspaceId',
  preset_id: 'presetId',
  ...Object.fromEntries(AXES.map((axis) => [axis, `axes.${axis}`])),
};

export function brandDnaChangeFromPayload(payload: ChangePayload): BrandDnaChange {
  return {
    operation: payload.operation,
    brandDnaId: payload.id,
    workspaceId: payload.workspace_id,
    revision: payload.revision,
    version: payload.version,
    actorId: payload.actor_id,
    changed: (payload.changed ?? []).map((column) => CHANGED_COLUMN_FIELDS[column] ?? column),
    brandDna: payload.record ? brandDnaFromRow(payload.record) : null,
  };
}

/** Which brand DNA or workspace a topic's changes must be about. */
type Scope = Partial<Pick<BrandDnaChange, 'brandDnaId' | 'workspaceId'>>;

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'payload'}: ${issue.message}` : 'invalid';
}

/**
 * The change one broadcast describes, or why it is none: a payload that does not parse, an event
 * that is not its operation, or a change of another brand DNA or workspace than the topic's.
 * Never throws.
 */
export function parseBrandDnaChange(message: { event?: unknown; payload?: unknown }, scope: Scope = {}): StudioResult<BrandDnaChange> {
  const invalid = (reason: string): StudioResult<BrandDnaChange> => ({
    data: null,
    error: { code: 'realtime_invalid_change', status: 0, message: `dropped a ${String(message.event)} message: ${reason}` },
  });
  const payload = ChangePayloadSchema.safeParse(message.payload);
  if (!payload.success) return invalid(describeIssue(payload.error));
  if (message.event !== payload.data.operation) return invalid(`event ${String(message.event)} is not the operation ${payload.data.operation}`);
  let mapped: BrandDnaChange;
  try {
    mapped = brandDnaChangeFromPayload(payload.data);
  } catch (err) {
    return invalid(err instanceof Error ? err.message : String(err));
  }
  const change = BrandDnaChangeSchema.safeParse(mapped);
  if (!change.success) return invalid(describeIssue(change.error));
  for (const [field, expected] of Object.entries(scope)) {
    const actual = change.data[field as keyof Scope];
    if (actual !== expected) return invalid(`${field} ${actual} is not this topic's ${expected}`);
  }
  return { data: change.data, error: null };
}

export type Unsubscribe = () => Promise<void>;

export interface WatchOptions {
  /** Called once when the subscription ends without you leaving: you lost access to the workspace
   * (`realtime_access_revoked`), the channel was closed by the server (token expired, signed out
   * elsewhere), or you signed out. */
  onClose?: (error: StudioError) => void;
  /** Called for each message dropped as untrustworthy (`realtime_invalid_change`: not a valid
   * change of this brand DNA or workspace; `realtime_forged_presence`: a presence entry whose key
   * names another user than the one who tracked it), and when changes were missed
   * (`realtime_missed_changes`: read the brand DNA again). The subscription goes on. */
  onError?: (error: StudioError) => void;
}

function channelError(reason: unknown, fallback: string): StudioError {
  const message = reason instanceof Error ? reason.message : fallback;
  return { code: /unauthori[sz]ed|permission/i.test(message) ? 'realtime_unauthorized' : 'realtime_error', status: 0, message };
}

/** Where a feed listens: its topic, the access epoch of that topic, and from when (ms) to replay. */
export interface FeedLocation {
  topic: string;
  epoch?: string;
  replaySince?: number;
}

/**
 * What a feed follows: `key` names it for good (watchers with the same key share one channel),
 * `locate` says which topic carries it now, or which came after the epoch `after`. Topics with an
 * access epoch change when someone loses access: the database then closes the old topic
 * (`topic_closed`), and `locate(old epoch)` names the next one.
 */
export interface FeedSource {
  key: string;
  locate: (after?: string) => Promise<StudioResult<FeedLocation>>;
  presenceKey?: string;
}

type Message = { event?: unknown; payload?: unknown; meta?: { replayed?: boolean } };

interface Listener {
  onBroadcast?: (message: Message) => void;
  onPresenceSync?: (feed: Feed) => void;
  onClose?: (error: StudioError) => void;
}

/** Answers of the API that mean "not for you (any more)". */
const NO_ACCESS = new Set([401, 403, 404]);
/** Joins to try when following a feed: another change of epoch may overtake a move. */
const FOLLOW_ATTEMPTS = 3;
/** Realtime replays at most this many stored messages per join. */
const REPLAY_LIMIT = 25;

/**
 * One private channel shared by the watchers of one feed, which follows the feed from topic to
 * topic. On `topic_closed` it asks which topic came next and moves: it joins the new topic with
 * replay (so nothing sent meanwhile is lost, and a topic_closed there too is found and followed in
 * turn), shares presence there, and only then leaves the old one. Whoever lost access learns it
 * from `locate`, and the feed ends with `realtime_access_revoked`.
 */
export class Feed {
  readonly listeners = new Set<Listener>();
  /** Presence feeds: resolves (true) once the first channel's first presence state has arrived. */
  presenceSynced?: Promise<boolean>;
  private channel: RealtimeChannel | undefined;
  private topic: string | undefined;
  private epoch: string | undefined;
  /** Channels joined by a move: what they replay was sent after the feed began, so it counts. */
  private readonly catchingUp = new WeakSet<RealtimeChannel>();
  /** The channel being joined by a move; its messages count already. */
  private incoming: RealtimeChannel | undefined;
  /** Left on purpose: their closing is no news. */
  private readonly retired = new WeakSet<RealtimeChannel>();
  private tracked: Record<string, unknown> | undefined;
  private moving = false;
  private moveAgain = false;
  private closed = false;

  constructor(
    private readonly supabase: SupabaseClient,
    private readonly source: FeedSource,
    private readonly onEnd: () => void,
  ) {}

  /** Joins the feed's current topic. */
  async start(): Promise<StudioResult<Feed>> {
    const failure = await this.follow(null);
    return failure ? { data: null, error: failure } : { data: this, error: null };
  }

  get timeout(): number {
    return this.channel?.timeout ?? 10_000;
  }

  presenceState(): Record<string, unknown[]> {
    return this.channel?.presenceState() ?? {};
  }

  /** Shares `state` on the current topic, and on every topic the feed moves to. */
  async track(state: Record<string, unknown>): Promise<string> {
    this.tracked = state;
    return this.channel ? this.channel.track(state) : 'closed';
  }

  /** Leaves for good, telling the watchers why when there is a reason. */
  async close(reason?: StudioError): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onEnd();
    const listeners = [...this.listeners];
    this.listeners.clear();
    await Promise.all([this.channel, this.incoming].map((channel) => channel && this.retire(channel)));
    if (reason) for (const listener of listeners) listener.onClose?.(reason);
  }

  private async retire(channel: RealtimeChannel): Promise<void> {
    this.retired.add(channel);
    await this.supabase.removeChannel(channel);
  }

  private received(channel: RealtimeChannel, message: Message): void {
    if (channel !== this.channel && channel !== this.incoming) return;
    if (message.event === TOPIC_CLOSED_EVENT) return void this.move(null);
    // The first channel replays only to find a topic_closed sent between locating and joining.
    if (message.meta?.replayed === true && !this.catchingUp.has(channel)) return;
    for (const listener of this.listeners) listener.onBroadcast?.(message);
  }

  /** Follows the feed after a topic_closed (lost: null) or after the server closed its channel. */
  private async move(lost: StudioError | null): Promise<void> {
    if (this.moving) {
      this.moveAgain = true;
      return;
    }
    this.moving = true;
    try {
      do {
        this.moveAgain = false;
        const failure = await this.follow(lost);
        if (failure) return void (await this.close(failure));
        lost = null;
      } while (this.moveAgain && !this.closed);
    } finally {
      this.moving = false;
    }
  }

  /**
   * Joins the topic that follows the feed's epoch (the current one at first), unless the feed is
   * there already (then a closed channel, `lost`, stays lost, and a topic_closed that the database
   * did not send changes nothing). Null when done, else why not.
   */
  private async follow(lost: StudioError | null): Promise<StudioError | null> {
    let failure: StudioError = lost ?? { code: 'realtime_error', status: 0, message: `could not follow ${this.source.key}` };
    let refused: string | undefined;
    for (let attempt = 0; attempt < FOLLOW_ATTEMPTS && !this.closed; attempt++) {
      const located = await this.source.locate(this.epoch);
      if (located.error) {
        if (NO_ACCESS.has(located.error.status)) return this.noAccess(located.error);
        failure = located.error;
        await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
        continue;
      }
      const { topic, epoch, replaySince } = located.data;
      if (topic === this.topic) return lost;
      // Refused twice for the same topic: no race with a new epoch, just no access.
      if (topic === refused) return failure;
      const joined = await this.connect(topic, replaySince, this.channel !== undefined);
      if (joined.error) {
        failure = joined.error;
        refused = topic;
        continue;
      }
      if (this.closed) {
        await this.retire(joined.data);
        return null;
      }
      const previous = this.channel;
      [this.channel, this.topic, this.epoch, this.incoming] = [joined.data, topic, epoch, undefined];
      if (previous) {
        // Present on the new topic before leaving the old one, so the others never see a gap.
        if (this.tracked) await joined.data.track(this.tracked);
        await this.retire(previous);
        for (const listener of this.listeners) listener.onPresenceSync?.(this);
      }
      return null;
    }
    return failure;
  }

  private noAccess(error: StudioError): StudioError {
    return this.channel
      ? { code: 'realtime_access_revoked', status: error.status, message: `you no longer have access to ${this.source.key}: ${error.message}` }
      : { code: 'realtime_unauthorized', status: error.status, message: `you may not listen to ${this.source.key}: ${error.message}` };
  }

  /** Joins one private channel, replaying stored broadcasts since `replaySince` when given. */
  private async connect(topic: string, replaySince: number | undefined, catchUp: boolean): Promise<StudioResult<RealtimeChannel>> {
    // Private channels are authorized by the token on the socket: put the current one there first.
    await this.supabase.realtime.setAuth();
    const { presenceKey } = this.source;
    const channel = this.supabase.channel(topic, {
      config: {
        private: true,
        ...(replaySince === undefined ? {} : { broadcast: { replay: { since: Math.floor(replaySince), limit: REPLAY_LIMIT } } }),
        ...(presenceKey === undefined ? {} : { presence: { key: presenceKey } }),
      },
    });
    this.incoming = channel;
    if (catchUp) this.catchingUp.add(channel);
    channel.on('broadcast', { event: '*' }, (message) => this.received(channel, message));
    if (presenceKey !== undefined) {
      // Registered before joining: the first state may arrive in the same read as the join's reply.
      const synced = new Promise<boolean>((resolve) => {
        channel.on('presence', { event: 'sync' }, () => {
          resolve(true);
          if (channel === this.channel) for (const listener of this.listeners) listener.onPresenceSync?.(this);
        });
      });
      this.presenceSynced ??= synced;
    }
    return new Promise((resolve) => {
      let state: 'joining' | 'joined' | 'failed' = 'joining';
      channel.subscribe((status, err) => {
        if (state === 'joining' && status === 'SUBSCRIBED') {
          state = 'joined';
          resolve({ data: channel, error: null });
        } else if (state === 'joining') {
          // Settle first: removing the channel reports CLOSED to this callback again.
          state = 'failed';
          if (this.incoming === channel) this.incoming = undefined;
          resolve({ data: null, error: channelError(err, `could not join ${topic}: ${status.toLowerCase()}`) });
          void this.retire(channel);
        } else if (state === 'joined' && (status === 'CLOSED' || status === 'CHANNEL_ERROR') && !this.retired.has(channel) && channel === this.channel) {
          // Closed by the server (token expired, access revoked, or a rejoin after a new epoch): follow or end.
          void this.move(channelError(err, `${topic} was closed by the server`));
        }
      });
    });
  }
}

/**
 * The feeds of one client. supabase-js keeps one channel per topic, so watchers of the same feed
 * share it (it is left when the last one leaves), and signing out ends them all.
 */
export class Subscriptions {
  private readonly feeds = new Map<string, Promise<StudioResult<Feed>>>();

  constructor(private readonly supabase: SupabaseClient) {}

  /** Listens to the feed, joining it first if needed. */
  async join(source: FeedSource, listener: Listener): Promise<StudioResult<{ feed: Feed; leave: Unsubscribe }>> {
    let started = this.feeds.get(source.key);
    if (!started) {
      const feed: Feed = new Feed(this.supabase, source, () => this.feeds.get(source.key) === started && this.feeds.delete(source.key));
      started = feed.start();
      this.feeds.set(source.key, started);
      void started.then((result) => result.error && this.feeds.delete(source.key));
    }
    const result = await started;
    if (result.error) return result;
    const feed = result.data;
    feed.listeners.add(listener);
    const leave = async () => {
      if (!feed.listeners.delete(listener) || feed.listeners.size > 0) return;
      await feed.close();
    };
    return { data: { feed, leave }, error: null };
  }

  /** Ends every subscription, telling each listener why. */
  async closeAll(reason: StudioError): Promise<void> {
    const all = await Promise.all(this.feeds.values());
    await Promise.all(all.map((result) => result.data?.close(reason)));
  }
}

/** `brand_dna:<id>` carries changes of that brand DNA only, `workspace:<id>` of that workspace only. */
function scopeOf(key: string): Scope {
  const [kind, id] = key.split(':');
  if (kind === 'brand_dna') return { brandDnaId: id };
  if (kind === 'workspace') return { workspaceId: id };
  return {};
}

/**
 * Delivers every valid brand DNA change of the feed to `handler`, each revision once (a move
 * replays what may have arrived already), and the rest to `onError`.
 */
export async function watchChanges(
  subscriptions: Subscriptions,
  source: FeedSource,
  handler: (change: BrandDnaChange) => void,
  options: WatchOptions = {},
): Promise<StudioResult<Unsubscribe>> {
  const scope = scopeOf(source.key);
  const latest = new Map<string, { revision: number; deleted: boolean }>();
  const joined = await subscriptions.join(source, {
    onBroadcast: (message) => {
      const parsed = parseBrandDnaChange(message, scope);
      if (parsed.error) return options.onError?.(parsed.error);
      const change = parsed.data;
      const last = latest.get(change.brandDnaId);
      if (last && (last.deleted || change.revision < last.revision || (change.revision === last.revision && change.operation !== 'DELETE'))) return;
      if (last && change.operation === 'UPDATE' && change.revision > last.revision + 1) {
        options.onError?.({
          code: 'realtime_missed_changes',
          status: 0,
          message: `revisions ${last.revision + 1} to ${change.revision - 1} of brand DNA ${change.brandDnaId} did not arrive: read it again`,
        });
      }
      latest.set(change.brandDnaId, { revision: change.revision, deleted: change.operation === 'DELETE' });
      handler(change);
    },
    onClose: options.onClose,
  });
  return joined.error ? joined : { data: joined.data.leave, error: null };
}

/**
 * Someone present on a brand DNA: their presence key (the user id by default), who the server says
 * tracked the entry, and what they shared. `state` is whatever that client sent: show people by
 * `userId`, not by what their state claims.
 */
export interface PresenceMember<State extends Record<string, unknown> = Record<string, unknown>> {
  key: string;
  state: State;
  /** The user id the Realtime server attached to the entry (`sub` of the token that tracked it);
   * null where the server attaches none (hosted Supabase Realtime). */
  userId: string | null;
  /** True when that user id is the key: the entry really is who its key says. */
  verified: boolean;
}

/**
 * The members of a presence channel, newest entry per key. An entry whose key is a user id other
 * than the one the server attached is someone posing as that user: it is left out and reported
 * (once). A key of your own choosing (not a user id) is kept, unverified.
 */
function presenceMembers<State extends Record<string, unknown>>(
  presenceState: Record<string, unknown[]>,
  reportForged: (key: string, userId: string, ref: string) => void,
): PresenceMember<State>[] {
  return Object.entries(presenceState).flatMap(([key, metas]) => {
    const honest = (metas as Record<string, unknown>[]).filter((meta) => {
      const sub = meta.sub;
      if (typeof sub !== 'string' || sub === key || !IdSchema.safeParse(key).success) return true;
      reportForged(key, sub, String(meta.presence_ref));
      return false;
    });
    const newest = honest.at(-1);
    if (!newest) return [];
    const { presence_ref: _ref, sub, ...state } = newest;
    const userId = typeof sub === 'string' ? sub : null;
    return [{ key, state: state as State, userId, verified: userId === key }];
  });
}

export interface Presence<State extends Record<string, unknown> = Record<string, unknown>> {
  /** Everyone present now (one entry per key, the newest state of each). */
  members(): PresenceMember<State>[];
  /** Shares a new state (e.g. which axis you are editing). */
  update(state: State): Promise<StudioResult<null>>;
  /** Stops sharing and leaves (the others see you leave). */
  leave: Unsubscribe;
}

/** Resolves with false if `promise` has not resolved with true within `ms`. */
function within(promise: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Joins presence on the feed's topic under `source.presenceKey`, shares `state`, and resolves once
 * `members()` shows everyone: the others (the first presence state) and you (the server's echo of
 * your entry). When the feed moves to a new topic, your latest state moves with it.
 */
export async function joinPresence<State extends Record<string, unknown>>(
  subscriptions: Subscriptions,
  source: FeedSource & { presenceKey: string },
  state: State,
  onChange: ((members: PresenceMember<State>[]) => void) | undefined,
  options: WatchOptions = {},
): Promise<StudioResult<Presence<State>>> {
  const key = source.presenceKey;
  const reported = new Set<string>();
  const reportForged = (memberKey: string, userId: string, ref: string) => {
    if (reported.has(ref)) return;
    reported.add(ref);
    options.onError?.({
      code: 'realtime_forged_presence',
      status: 0,
      message: `dropped a presence entry under the key ${memberKey}: it was tracked by user ${userId}`,
    });
  };
  const membersOf = (feed: Feed) => presenceMembers<State>(feed.presenceState(), reportForged);
  let onSync = () => {};
  const joined = await subscriptions.join(source, {
    onPresenceSync: (feed) => {
      onSync();
      onChange?.(membersOf(feed));
    },
    onClose: options.onClose,
  });
  if (joined.error) return joined;
  const { feed } = joined.data;
  const members = () => membersOf(feed);
  const fail = async (message: string): Promise<StudioResult<Presence<State>>> => {
    await joined.data.leave();
    return { data: null, error: { code: 'realtime_error', status: 0, message } };
  };
  if (!(await within(feed.presenceSynced ?? Promise.resolve(true), feed.timeout))) return fail(`no presence state arrived on ${source.key}`);

  const track = async (next: State): Promise<StudioResult<null>> => {
    const status = await feed.track(next);
    return status === 'ok' ? { data: null, error: null } : { data: null, error: { code: 'realtime_error', status: 0, message: `presence ${status}` } };
  };
  const echoed = new Promise<boolean>((resolve) => (onSync = () => feed.presenceState()[key] !== undefined && resolve(true)));
  const tracked = await track(state);
  if (tracked.error) {
    await joined.data.leave();
    return tracked;
  }
  onSync(); // the echo may have come with the track's reply
  if (!(await within(echoed, feed.timeout))) return fail(`your presence did not appear on ${source.key} (not allowed to share it there?)`);
  onSync = () => {};
  return { data: { members, update: track, leave: joined.data.leave }, error: null };
}
