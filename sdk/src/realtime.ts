// Realtime helpers: teammates' edits arrive as private broadcasts that the database sends for every
// change of a brand DNA (topics `brand_dna:<id>` and `workspace:<id>`), and who is editing is
// shared through presence on `brand_dna:<id>:presence`. Both join private channels, so the user's
// token must be on the socket first (`realtime.setAuth`). Every subscription is kept in a
// `Subscriptions` set, so that signing out can end them all at once.
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { AXES } from './axes.ts';
import type { StudioError, StudioResult } from './http.ts';
import { brandDnaFromRow, type BrandDnaRow } from './mapping.ts';
import type { BrandDna } from './schemas.ts';

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

/** Payload of the database's broadcast (private.broadcast_brand_dna_change), snake_case. */
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

export type Unsubscribe = () => Promise<void>;

export interface WatchOptions {
  /** Called once when the subscription ends without you leaving: the channel was closed by the
   * server (token expired, access revoked) or you signed out. */
  onClose?: (error: StudioError) => void;
}

function channelError(reason: unknown, fallback: string): StudioError {
  const message = reason instanceof Error ? reason.message : fallback;
  return { code: /unauthori[sz]ed|permission/i.test(message) ? 'realtime_unauthorized' : 'realtime_error', status: 0, message };
}

interface Listener {
  onBroadcast?: (payload: unknown) => void;
  onPresenceSync?: (channel: RealtimeChannel) => void;
  onClose?: (error: StudioError) => void;
}

interface SharedChannel {
  channel: RealtimeChannel;
  listeners: Set<Listener>;
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
  ): Promise<StudioResult<{ channel: RealtimeChannel; leave: Unsubscribe }>> {
    let shared = this.topics.get(topic);
    if (!shared) {
      shared = this.open(topic, presenceKey);
      this.topics.set(topic, shared);
      void shared.then((result) => result.error && this.topics.delete(topic));
    }
    const result = await shared;
    if (result.error) return result;
    const { channel, listeners } = result.data;
    listeners.add(listener);
    const leave = async () => {
      if (!listeners.delete(listener) || listeners.size > 0) return;
      this.topics.delete(topic);
      await this.supabase.removeChannel(channel);
    };
    return { data: { channel, leave }, error: null };
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
    channel.on('broadcast', { event: '*' }, (message) => shared.listeners.forEach((l) => l.onBroadcast?.(message.payload)));
    if (presenceKey !== undefined) channel.on('presence', { event: 'sync' }, () => shared.listeners.forEach((l) => l.onPresenceSync?.(channel)));
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

/** Delivers every brand DNA change broadcast on `topic` to `handler`. */
export async function watchChanges(
  subscriptions: Subscriptions,
  topic: string,
  handler: (change: BrandDnaChange) => void,
  options: WatchOptions = {},
): Promise<StudioResult<Unsubscribe>> {
  const joined = await subscriptions.join(topic, {
    onBroadcast: (payload) => handler(brandDnaChangeFromPayload(payload as ChangePayload)),
    onClose: options.onClose,
  });
  return joined.error ? joined : { data: joined.data.leave, error: null };
}

/** Someone present on a brand DNA: their presence key (the user id by default) and what they shared. */
export interface PresenceMember<State extends Record<string, unknown> = Record<string, unknown>> {
  key: string;
  state: State;
}

export interface Presence<State extends Record<string, unknown> = Record<string, unknown>> {
  /** Everyone present now (one entry per key, the newest state of each). */
  members(): PresenceMember<State>[];
  /** Shares a new state (e.g. which axis you are editing). */
  update(state: State): Promise<StudioResult<null>>;
  /** Stops sharing and leaves (the others see you leave). */
  leave: Unsubscribe;
}

export async function joinPresence<State extends Record<string, unknown>>(
  subscriptions: Subscriptions,
  topic: string,
  key: string,
  state: State,
  onChange: ((members: PresenceMember<State>[]) => void) | undefined,
  options: WatchOptions = {},
): Promise<StudioResult<Presence<State>>> {
  const membersOf = (channel: RealtimeChannel): PresenceMember<State>[] =>
    Object.entries(channel.presenceState()).map(([memberKey, metas]) => {
      const { presence_ref: _ref, ...memberState } = (metas.at(-1) ?? {}) as Record<string, unknown>;
      return { key: memberKey, state: memberState as State };
    });
  const joined = await subscriptions.join(topic, { onPresenceSync: (channel) => onChange?.(membersOf(channel)), onClose: options.onClose }, key);
  if (joined.error) return joined;
  const { channel } = joined.data;
  const members = () => membersOf(channel);
  const track = async (next: State): Promise<StudioResult<null>> => {
    const status = await channel.track(next);
    return status === 'ok' ? { data: null, error: null } : { data: null, error: { code: 'realtime_error', status: 0, message: `presence ${status}` } };
  };
  const tracked = await track(state);
  if (tracked.error) {
    await joined.data.leave();
    return tracked;
  }
  return { data: { members, update: track, leave: joined.data.leave }, error: null };
}
