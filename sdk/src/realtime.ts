// Realtime helpers: teammates' edits arrive as private broadcasts that the database sends for every
// change of a brand DNA (topics `brand_dna:<id>` and `workspace:<id>`, read-only for clients), and
// who is editing is shared through presence on `brand_dna:<id>:presence`. Both join private
// channels, so the user's token must be on the socket first (`realtime.setAuth`). Every subscription
// is kept in a `Subscriptions` set, so that signing out can end them all at once. Nothing that
// arrives is trusted: changes are checked against their schema, presence keys against the user id
// the server verified, and what fails is dropped and reported through `onError`, never thrown.
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import * as z from 'zod';
import { AXES, type AxisName } from './axes.ts';
import type { StudioError, StudioResult } from './http.ts';
import { brandDnaFromRow, type BrandDnaRow } from './mapping.ts';
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
  /** Called once when the subscription ends without you leaving: the channel was closed by the
   * server (token expired, access revoked, signed out elsewhere) or you signed out. */
  onClose?: (error: StudioError) => void;
  /** Called for each message dropped as untrustworthy (`realtime_invalid_change`: not a valid
   * change of this brand DNA or workspace; `realtime_forged_presence`: a presence entry whose key
   * names another user than the one who tracked it). The subscription goes on. */
  onError?: (error: StudioError) => void;
}

function channelError(reason: unknown, fallback: string): StudioError {
  const message = reason instanceof Error ? reason.message : fallback;
  return { code: /unauthori[sz]ed|permission/i.test(message) ? 'realtime_unauthorized' : 'realtime_error', status: 0, message };
}

interface Listener {
  onBroadcast?: (message: { event?: unknown; payload?: unknown }) => void;
  onPresenceSync?: (channel: RealtimeChannel) => void;
  onClose?: (error: StudioError) => void;
}

interface SharedChannel {
  channel: RealtimeChannel;
  listeners: Set<Listener>;
  /** Presence channels: resolves (true) once the first presence state has arrived. */
  presenceSynced?: Promise<boolean>;
}

/**
 * The private channels of one client. supabase-js keeps one channel per topic, so watchers of the
 * same topic share it (it is left when the last one leaves), and signing out ends them all.
 */
export class Subscriptions {
  private readonly topics = new Map<string, Promise<StudioResult<SharedChannel>>>();

  constructor(private readonly supabase: SupabaseClient) {}

  /** Listens on the private channel `topic`, joining it first if needed. */
  async join(
    topic: string,
    listener: Listener,
    presenceKey?: string,
  ): Promise<StudioResult<{ channel: RealtimeChannel; leave: Unsubscribe; presenceSynced?: Promise<boolean> }>> {
    let shared = this.topics.get(topic);
    if (!shared) {
      shared = this.open(topic, presenceKey);
      this.topics.set(topic, shared);
      void shared.then((result) => result.error && this.topics.delete(topic));
    }
    const result = await shared;
    if (result.error) return result;
    const { channel, listeners, presenceSynced } = result.data;
    listeners.add(listener);
    const leave = async () => {
      if (!listeners.delete(listener) || listeners.size > 0) return;
      this.topics.delete(topic);
      await this.supabase.removeChannel(channel);
    };
    return { data: { channel, leave, presenceSynced }, error: null };
  }

  /** Ends every subscription, telling each listener why. */
  async closeAll(reason: StudioError): Promise<void> {
    const all = await Promise.all(this.topics.values());
    this.topics.clear();
    await Promise.all(all.map((result) => (result.error ? undefined : this.end(result.data, reason))));
  }

  private async end(shared: SharedChannel, reason: StudioError): Promise<void> {
    const listeners = [...shared.listeners];
    shared.listeners.clear();
    await this.supabase.removeChannel(shared.channel);
    for (const listener of listeners) listener.onClose?.(reason);
  }

  private async open(topic: string, presenceKey: string | undefined): Promise<StudioResult<SharedChannel>> {
    // Private channels are authorized by the token on the socket: put the current one there first.
    await this.supabase.realtime.setAuth();
    const channel = this.supabase.channel(topic, {
      config: { private: true, ...(presenceKey === undefined ? {} : { presence: { key: presenceKey } }) },
    });
    const shared: SharedChannel = { channel, listeners: new Set() };
    channel.on('broadcast', { event: '*' }, (message) => shared.listeners.forEach((l) => l.onBroadcast?.(message)));
    if (presenceKey !== undefined) {
      // Registered before joining: the first state may arrive in the same read as the join's reply.
      shared.presenceSynced = new Promise<boolean>((synced) => {
        channel.on('presence', { event: 'sync' }, () => {
          synced(true);
          shared.listeners.forEach((l) => l.onPresenceSync?.(channel));
        });
      });
    }
    return new Promise((resolve) => {
      let state: 'joining' | 'joined' | 'failed' = 'joining';
      channel.subscribe((status, err) => {
        if (state === 'joining' && status === 'SUBSCRIBED') {
          state = 'joined';
          resolve({ data: shared, error: null });
        } else if (state === 'joining') {
          // Settle first: removing the channel reports CLOSED to this callback again.
          state = 'failed';
          resolve({ data: null, error: channelError(err, `could not join ${topic}: ${status.toLowerCase()}`) });
          void this.supabase.removeChannel(channel);
        } else if (state === 'joined' && (status === 'CLOSED' || status === 'CHANNEL_ERROR') && shared.listeners.size > 0) {
          // Closed by the server (token expired, access revoked), not by us.
          this.topics.delete(topic);
          void this.end(shared, channelError(err, `${topic} was closed by the server`));
        }
      });
    });
  }
}

/** `brand_dna:<id>` carries changes of that brand DNA only, `workspace:<id>` of that workspace only. */
function scopeOf(topic: string): Scope {
  const [kind, id] = topic.split(':');
  if (kind === 'brand_dna') return { brandDnaId: id };
  if (kind === 'workspace') return { workspaceId: id };
  return {};
}

/** Delivers every valid brand DNA change broadcast on `topic` to `handler`; the rest to `onError`. */
export async function watchChanges(
  subscriptions: Subscriptions,
  topic: string,
  handler: (change: BrandDnaChange) => void,
  options: WatchOptions = {},
): Promise<StudioResult<Unsubscribe>> {
  const scope = scopeOf(topic);
  const joined = await subscriptions.join(topic, {
    onBroadcast: (message) => {
      const change = parseBrandDnaChange(message, scope);
      if (change.error) options.onError?.(change.error);
      else handler(change.data);
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
  channel: RealtimeChannel,
  reportForged: (key: string, userId: string, ref: string) => void,
): PresenceMember<State>[] {
  return Object.entries(channel.presenceState()).flatMap(([key, metas]) => {
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
 * Joins presence on `topic`, shares `state`, and resolves once `members()` shows everyone: the
 * others (the first presence state) and you (the server's echo of your entry).
 */
export async function joinPresence<State extends Record<string, unknown>>(
  subscriptions: Subscriptions,
  topic: string,
  key: string,
  state: State,
  onChange: ((members: PresenceMember<State>[]) => void) | undefined,
  options: WatchOptions = {},
): Promise<StudioResult<Presence<State>>> {
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
  const membersOf = (channel: RealtimeChannel) => presenceMembers<State>(channel, reportForged);
  let onSync = () => {};
  const joined = await subscriptions.join(
    topic,
    {
      onPresenceSync: (channel) => {
        onSync();
        onChange?.(membersOf(channel));
      },
      onClose: options.onClose,
    },
    key,
  );
  if (joined.error) return joined;
  const { channel, presenceSynced } = joined.data;
  const fail = async (message: string): Promise<StudioResult<Presence<State>>> => {
    await joined.data.leave();
    return { data: null, error: { code: 'realtime_error', status: 0, message } };
  };
  if (!(await within(presenceSynced ?? Promise.resolve(true), channel.timeout))) return fail(`no presence state arrived on ${topic}`);

  const members = () => membersOf(channel);
  const track = async (next: State): Promise<StudioResult<null>> => {
    const status = await channel.track(next);
    return status === 'ok' ? { data: null, error: null } : { data: null, error: { code: 'realtime_error', status: 0, message: `presence ${status}` } };
  };
  const echoed = new Promise<boolean>((resolve) => (onSync = () => channel.presenceState()[key] !== undefined && resolve(true)));
  const tracked = await track(state);
  if (tracked.error) {
    await joined.data.leave();
    return tracked;
  }
  onSync(); // the echo may have come with the track's reply
  if (!(await within(echoed, channel.timeout))) return fail(`your presence did not appear on ${topic} (not allowed to share it there?)`);
  onSync = () => {};
  return { data: { members, update: track, leave: joined.data.leave }, error: null };
}
