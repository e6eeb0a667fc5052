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
import { AXES } from './axes.ts';
import { fail, ok, type StudioError, type StudioResult } from './http.ts';
import { brandDnaFromRow, type BrandDnaRow } from './mapping.ts';
import { TOPIC_CLOSED_EVENT, type RealtimeTopics } from './realtime-topics.ts';
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

/** Payload of the database's broadcast (private.broadcast_brand_dna_change), snake_case: checked once mapped. */
interface ChangePayload {
  id: string;
  workspace_id: string;
  operation: ChangeOperation;
  revision: number;
  version: string;
  actor_id: string | null;
  changed: string[] | null;
  record: BrandDnaRow | null;
}

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
  const invalid = (reason: string) =>
    fail<BrandDnaChange>({ code: 'realtime_invalid_change', status: 0, message: `dropped a ${String(message.event)} message: ${reason}` });
  let mapped: BrandDnaChange;
  try {
    // Whatever arrived: what does not map throws, what maps to no valid change fails the schema.
    mapped = brandDnaChangeFromPayload(message.payload as ChangePayload);
  } catch (err) {
    return invalid(err instanceof Error ? err.message : String(err));
  }
  const change = BrandDnaChangeSchema.safeParse(mapped);
  if (!change.success) return invalid(describeIssue(change.error));
  if (message.event !== change.data.operation) return invalid(`event ${String(message.event)} is not the operation ${change.data.operation}`);
  for (const [field, expected] of Object.entries(scope)) {
    const actual = change.data[field as keyof Scope];
    if (actual !== expected) return invalid(`${field} ${actual} is not this topic's ${expected}`);
  }
  return ok(change.data);
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

/** How many times a move that failed is tried again before the feed ends. */
const MOVE_RETRIES = 5;

/** Where a feed listens: the topics of an access epoch (the API's answer), or one fixed topic. */
export type FeedLocation = Pick<RealtimeTopics, 'topic'> & Partial<RealtimeTopics>;

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

/** One private channel shared by the watchers of one feed, wherever the feed has moved. */
export interface Feed {
  readonly listeners: Set<Listener>;
  /** Presence feeds: resolves (true) once the first presence state has arrived. */
  presenceSynced?: Promise<boolean>;
  /** The current channel. */
  readonly channel: RealtimeChannel;
  /** Shares `state` on the current topic, and on every topic the feed moves to. */
  track(state: Record<string, unknown>): Promise<string>;
  /** Leaves for good, telling the watchers why when there is a reason. */
  close(reason?: StudioError): Promise<void>;
}

/**
 * Joins the feed's topic, and follows the feed from topic to topic. On `topic_closed` it asks
 * which topic came next and moves: it joins the new topic with replay (so nothing sent meanwhile is
 * lost, and a topic_closed there too is found and followed in turn), shares presence there, and
 * only then leaves the old one. Whoever lost access learns it from `locate`, and the feed ends with
 * `realtime_access_revoked`. (A closure rather than a class: minifiers shorten its variables.)
 */
async function openFeed(supabase: SupabaseClient, source: FeedSource, onEnd: () => void): Promise<StudioResult<Feed>> {
  const { key, presenceKey } = source;
  const listeners = new Set<Listener>();
  let channel: RealtimeChannel | undefined;
  let location: FeedLocation | undefined;
  let tracked: Record<string, unknown> | undefined;
  let moving = false;
  let moveAgain = false;
  let closed = false;

  const feed: Feed = {
    listeners,
    get channel() {
      return channel!;
    },
    track: (state) => channel!.track((tracked = state)),
    async close(reason) {
      if (closed) return;
      closed = true;
      onEnd();
      await supabase.removeChannel(channel!);
      if (reason) for (const listener of listeners) listener.onClose?.(reason);
      listeners.clear();
    },
  };

  /**
   * Follows the feed after a topic_closed, once more if another came meanwhile. Nothing arrives on
   * the closed topic any more, so a failure that may pass (no answer, a 429 or 5xx, a join that did
   * not go through) is tried again, after Retry-After or 1, 2, 4, 8 and 16 s; the replay on the new
   * topic brings what was sent meanwhile. Only lost access, or the last failure, ends the feed.
   */
  async function move(): Promise<void> {
    if (moving) return void (moveAgain = true);
    moving = true;
    try {
      let retries = 0;
      do {
        moveAgain = false;
        const failure = closed ? null : await follow();
        if (!failure) continue;
        if (failure.code === 'realtime_access_revoked' || retries === MOVE_RETRIES) return void (await feed.close(failure));
        const seconds = failure.retryAfter ?? 2 ** retries;
        retries++;
        await new Promise((resolve) => setTimeout(resolve, 1000 * seconds));
        moveAgain = true;
      } while (moveAgain);
    } finally {
      moving = false;
    }
  }

  /**
   * Joins the topic that follows the feed's epoch (the current one at first), unless the feed is
   * there already (a topic_closed that the database did not send changes nothing). Null when
   * done, else why not.
   */
  async function follow(): Promise<StudioError | null> {
    const located = await source.locate(location?.epoch);
    if (located.error) {
      // 401, 403, 404: not for you (any more).
      const { status, message } = located.error;
      if (status < 401 || status > 404) return located.error;
      return { code: channel ? 'realtime_access_revoked' : 'realtime_unauthorized', status, message: `${key}: ${message}` };
    }
    if (located.data.topic === location?.topic) return null;
    const previous = channel;
    const joined = await connect(located.data, previous !== undefined);
    if (joined.error) return joined.error;
    if (closed) {
      await supabase.removeChannel(joined.data);
      return null;
    }
    [channel, location] = [joined.data, located.data];
    if (previous) {
      // Present on the new topic before leaving the old one, so the others never see a gap.
      if (tracked) await channel.track(tracked);
      await supabase.removeChannel(previous);
      for (const listener of listeners) listener.onPresenceSync?.(feed);
    }
    return null;
  }

  /**
   * Joins one private channel, replaying stored broadcasts since `replaySince`. What a move
   * replays was sent after the feed began, so it counts; the first channel replays only to find
   * a topic_closed sent between locating and joining.
   */
  async function connect(at: FeedLocation, catchingUp: boolean): Promise<StudioResult<RealtimeChannel>> {
    // Private channels are authorized by the token on the socket: put the current one there first.
    await supabase.realtime.setAuth();
    const topic = presenceKey === undefined ? at.topic : at.presenceTopic!;
    const joining = supabase.channel(topic, {
      config: {
        private: true,
        ...(at.replaySince && { broadcast: { replay: { since: Date.parse(at.replaySince), limit: 25 } } }),
        ...(presenceKey !== undefined && { presence: { key: presenceKey } }),
      },
    });
    joining.on('broadcast', { event: '*' }, (message: Message) => {
      if (message.event === TOPIC_CLOSED_EVENT) void move();
      else if (catchingUp || !message.meta?.replayed) for (const listener of listeners) listener.onBroadcast?.(message);
    });
    if (presenceKey !== undefined) {
      // Registered before joining (the first state may arrive in the same read as the join's reply),
      // and on every channel: supabase-js keeps presence only where something listens.
      const synced = new Promise<boolean>((resolve) => {
        joining.on('presence', { event: 'sync' }, () => {
          resolve(true);
          if (joining === channel) for (const listener of listeners) listener.onPresenceSync?.(feed);
        });
      });
      feed.presenceSynced ??= synced;
    }
    return new Promise((resolve) => {
      let settled = false;
      joining.subscribe((status, err) => {
        if (!settled) {
          // Settle first: removing a channel that failed to join reports CLOSED here again.
          settled = true;
          if (status === 'SUBSCRIBED') return resolve(ok(joining));
          resolve(fail(channelError(err, `could not join ${topic}: ${status}`)));
          void supabase.removeChannel(joining);
        } else if ((status === 'CLOSED' || status === 'CHANNEL_ERROR') && joining === channel) {
          // Closed by the server (token expired, signed out elsewhere), not by us.
          void feed.close(channelError(err, `${topic} was closed by the server`));
        }
      });
    });
  }

  const failure = await follow();
  return failure ? fail(failure) : ok(feed);
}

/**
 * The feeds of one client. supabase-js keeps one channel per topic, so watchers of the same feed
 * share it (it is left when the last one leaves), and signing out ends them all.
 */
export type Subscriptions = ReturnType<typeof subscriptionsOf>;

export function subscriptionsOf(supabase: SupabaseClient) {
  const feeds = new Map<string, Promise<StudioResult<Feed>>>();
  return {
    /** Listens to the feed, joining it first if needed. */
    async join(source: FeedSource, listener: Listener): Promise<StudioResult<{ feed: Feed; leave: Unsubscribe }>> {
      let started = feeds.get(source.key);
      if (!started) {
        const forget = () => feeds.get(source.key) === started && feeds.delete(source.key);
        started = openFeed(supabase, source, forget);
        feeds.set(source.key, started);
        void started.then((result) => result.error && forget());
      }
      const result = await started;
      if (result.error) return result;
      const feed = result.data;
      feed.listeners.add(listener);
      const leave = async () => {
        if (feed.listeners.delete(listener) && feed.listeners.size === 0) await feed.close();
      };
      return ok({ feed, leave });
    },
    /** Ends every subscription, telling each listener why. */
    async closeAll(reason: StudioError): Promise<void> {
      await Promise.all((await Promise.all(feeds.values())).map((result) => result.data?.close(reason)));
    },
  };
}

/**
 * Delivers every valid brand DNA change of the feed that is about `scope` (the watched brand DNA or
 * workspace) to `handler`, each revision once (a move replays what may have arrived already), and
 * the rest to `onError`.
 */
export async function watchChanges(
  subscriptions: Subscriptions,
  source: FeedSource,
  scope: Scope,
  handler: (change: BrandDnaChange) => void,
  options: WatchOptions = {},
): Promise<StudioResult<Unsubscribe>> {
  // The last revision delivered of each brand DNA (Infinity once deleted).
  const latest = new Map<string, number>();
  const joined = await subscriptions.join(source, {
    onBroadcast: (message) => {
      const parsed = parseBrandDnaChange(message, scope);
      if (parsed.error) return options.onError?.(parsed.error);
      const change = parsed.data;
      const last = latest.get(change.brandDnaId) ?? 0;
      if (change.revision < last || (change.revision === last && change.operation !== 'DELETE')) return;
      if (last && change.revision > last + 1) {
        options.onError?.({ code: 'realtime_missed_changes', status: 0, message: `missed revisions of ${change.brandDnaId} before ${change.revision}` });
      }
      latest.set(change.brandDnaId, change.operation === 'DELETE' ? Infinity : change.revision);
      handler(change);
    },
    onClose: options.onClose,
  });
  return joined.error ? joined : ok(joined.data.leave);
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
  source: FeedSource,
  state: State,
  onChange: ((members: PresenceMember<State>[]) => void) | undefined,
  options: WatchOptions = {},
): Promise<StudioResult<Presence<State>>> {
  const key = source.presenceKey!;
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
  const membersOf = (feed: Feed) => presenceMembers<State>(feed.channel.presenceState(), reportForged);
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
  const realtimeError = (message: string): StudioError => ({ code: 'realtime_error', status: 0, message });
  const giveUp = async (error: StudioError) => {
    await joined.data.leave();
    return fail<Presence<State>>(error);
  };
  if (!(await within(feed.presenceSynced ?? Promise.resolve(true), feed.channel.timeout))) return giveUp(realtimeError(`no presence state arrived on ${source.key}`));

  const track = async (next: State): Promise<StudioResult<null>> => {
    const status = await feed.track(next);
    return status === 'ok' ? ok(null) : fail<null>(realtimeError(`presence ${status}`));
  };
  const echoed = new Promise<boolean>((resolve) => (onSync = () => feed.channel.presenceState()[key] !== undefined && resolve(true)));
  const tracked = await track(state);
  if (tracked.error) return giveUp(tracked.error);
  onSync(); // the echo may have come with the track's reply
  if (!(await within(echoed, feed.channel.timeout))) return giveUp(realtimeError(`your presence did not appear on ${source.key} (not allowed there?)`));
  onSync = () => {};
  return ok({ members, update: track, leave: joined.data.leave });
}
