// One joined topic on one socket, as Realtime's channel process: join checks, broadcast and presence
// from the client, access-token refresh, token expiry and leave (docs/PLATFORM.md, "Channel
// lifecycle", "Access-token refresh on channels", "Broadcast", "System messages", "Channel
// authorization", "Presence"). Each channel handles its messages one at a time, in order, like the
// real per-channel process.
import { randomUUID } from 'node:crypto';
import type { AuthContext, Extension } from './authorization.ts';
import { PolicyError, SESSION_ENDED } from './authorization.ts';
import type { Claims } from '../jwt.ts';
import { isObject, type ServiceContext } from './context.ts';
import { encodeMessage, OutboundBroadcast, type InboundMessage, type Ref, type UserBroadcast, type Vsn } from './frames.ts';
import { topicKey, type Member } from './hub.ts';
import type { StoredBroadcast } from './store.ts';
import { TokenError, verifyToken, type VerifiedToken } from './tokens.ts';

const PREFIX = 'realtime:';

/** What a channel uses of the socket it was joined on (socket.ts's Connection, which imports this file). */
export interface ChannelSocket {
  readonly ctx: ServiceContext;
  readonly vsn: Vsn;
  readonly apikey: VerifiedToken;
  readonly headers: Record<string, string>;
  readonly channels: Map<string, Channel>;
  send(frame: string | Buffer): void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function unauthorized(subTopic: string): string {
  return `You do not have permissions to read from this Channel topic: ${subTopic}`;
}

/** Realtime answers each postgres_changes filter with itself plus a numeric id (a hash of it). */
function filterId(params: unknown): number {
  let hash = 0;
  for (const char of JSON.stringify(params)) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return hash % 134_217_728;
}

/**
 * A presence meta with `sub` set to the user id of the channel's verified token (or removed when the
 * token has none), whatever the client sent: so peers can tell who tracked an entry. Beyond the real
 * server, which passes the client's payload through unchanged and attests nothing.
 */
function withVerifiedSub(payload: Record<string, unknown>, claims: Claims): Record<string, unknown> {
  const { sub: _claimed, ...meta } = payload;
  return typeof claims.sub === 'string' && claims.sub !== '' ? { ...meta, sub: claims.sub } : meta;
}

/** A text-frame broadcast (`[J, r, topic, "broadcast", {type, event, payload}]`). */
function textBroadcast(payload: unknown): UserBroadcast | null {
  if (!isObject(payload) || typeof payload.event !== 'string') return null;
  return { event: payload.event, json: JSON.stringify(payload.payload ?? {}), meta: {} };
}

export class Channel implements Member {
  state: 'joining' | 'joined' | 'closed' = 'joining';
  readonly subTopic: string;
  private queue: Promise<void> = Promise.resolve();
  private isPrivate = false;
  private ack = false;
  private self = false;
  private presenceKey = '';
  private presenceEnabled = false;
  /** Private channels joined on presence-read alone get no broadcasts, as on the real server. */
  private broadcastRead = true;
  /** Undefined until checked (private channels that enable presence only when they first track). */
  private presenceRead: boolean | undefined = true;
  /** While stored messages are replayed after the join: held live broadcasts, and the replayed ids. */
  private held: OutboundBroadcast[] | null = null;
  private replayed: Set<string> | null = null;
  private write: Partial<Record<Extension, Promise<boolean>>> = {};
  private token: VerifiedToken | null = null;
  private confirmTimer: NodeJS.Timeout | undefined;
  private key = '';

  constructor(
    private readonly conn: ChannelSocket,
    readonly topic: string,
    readonly joinRef: Ref,
  ) {
    this.subTopic = topic.slice(PREFIX.length);
  }

  private get ctx() {
    return this.conn.ctx;
  }

  get presenceActive(): boolean {
    return this.state === 'joined' && this.presenceEnabled && this.presenceRead === true;
  }

  /** Runs after everything this channel received before; a failure never blocks the next message. */
  private enqueue(task: () => Promise<void> | void): void {
    this.queue = this.queue.then(task).catch((err: unknown) => this.ctx.warn(`channel ${this.topic}`, err));
  }

  join(msg: InboundMessage): void {
    this.enqueue(() => this.doJoin(msg));
  }

  handle(msg: InboundMessage): void {
    this.enqueue(() => this.dispatch(msg));
  }

  // -- wire helpers -------------------------------------------------------------------------------

  private reply(ref: Ref, status: 'ok' | 'error', response: unknown): void {
    this.conn.send(encodeMessage(this.conn.vsn, this.joinRef, ref, this.topic, 'phx_reply', { status, response }));
  }

  private push(event: string, payload: unknown): void {
    this.conn.send(encodeMessage(this.conn.vsn, this.joinRef, null, this.topic, event, payload));
  }

  private system(extension: 'system' | 'postgres_changes', status: 'ok' | 'error', message: string): void {
    this.push('system', { extension, status, message, channel: this.subTopic });
  }

  private sendClose(): void {
    this.conn.send(encodeMessage(this.conn.vsn, this.joinRef, this.joinRef, this.topic, 'phx_close', {}));
  }

  deliver(broadcast: OutboundBroadcast): void {
    if (!this.broadcastRead) return;
    if (this.held) {
      this.held.push(broadcast);
      return;
    }
    if (broadcast.message.id !== undefined && this.replayed?.has(broadcast.message.id)) return;
    const frame = broadcast.frame(this.conn.vsn);
    if (frame !== null) this.conn.send(frame);
  }

  pushPresence(event: 'presence_state' | 'presence_diff', payload: unknown): void {
    this.push(event, payload);
  }

  private authContext(token: VerifiedToken): AuthContext {
    return { topic: this.subTopic, role: token.role, claims: token.claims, headers: this.conn.headers };
  }

  // -- join ---------------------------------------------------------------------------------------

  /** Refused joins are answered after a deliberate delay, like the real server (slows retry storms). */
  private async refuse(ref: Ref, reason: string): Promise<void> {
    await sleep(this.ctx.settings.channelErrorBackoffMs);
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.conn.channels.get(this.topic) === this) this.conn.channels.delete(this.topic);
    this.reply(ref, 'error', { reason });
  }

  private async doJoin(msg: InboundMessage): Promise<void> {
    const payload = msg.payload;
    if (!isObject(payload)) {
      // Realtime's join crashes on a non-map payload and Phoenix answers at once.
      this.state = 'closed';
      if (this.conn.channels.get(this.topic) === this) this.conn.channels.delete(this.topic);
      this.reply(msg.ref, 'error', { reason: 'join crashed' });
      return;
    }
    if (this.subTopic === '') return this.refuse(msg.ref, 'TopicNameRequired: You must provide a topic name');

    const config = isObject(payload.config) ? payload.config : {};
    const broadcast = isObject(config.broadcast) ? config.broadcast : {};
    const presence = isObject(config.presence) ? config.presence : {};
    this.isPrivate = config.private === true;
    this.ack = broadcast.ack === true;
    this.self = broadcast.self === true;
    this.presenceKey = typeof presence.key === 'string' && presence.key !== '' ? presence.key : randomUUID();
    // Clients before `enabled` existed always got presence; realtime-js 2.119 always says.
    this.presenceEnabled = presence.enabled !== false;
    const postgresChanges = Array.isArray(config.postgres_changes) ? config.postgres_changes : [];

    // `sb_…` keys and a missing token both mean "the connection's own key" (docs/PLATFORM.md,
    // "Channel lifecycle").
    const candidate =
      typeof payload.access_token === 'string' ? payload.access_token : typeof payload.user_token === 'string' ? payload.user_token : null;
    const tokenString = candidate === null || candidate.startsWith('sb_') ? this.conn.apikey.token : candidate;

    let token: VerifiedToken;
    try {
      token = await verifyToken(this.ctx.keys, tokenString);
    } catch (err) {
      if (err instanceof TokenError) return this.refuse(msg.ref, err.reason);
      throw err;
    }

    if (this.isPrivate) {
      const extensions: Extension[] = this.presenceEnabled ? ['broadcast', 'presence'] : ['broadcast'];
      try {
        if (await this.sessionEnded(token)) return this.refuse(msg.ref, `Unauthorized: ${SESSION_ENDED}`);
        const access = await this.ctx.authorizer.read(this.authContext(token), extensions);
        if (!access.broadcast && !access.presence) return this.refuse(msg.ref, `Unauthorized: ${unauthorized(this.subTopic)}`);
        this.broadcastRead = access.broadcast;
        this.presenceRead = this.presenceEnabled ? access.presence : undefined;
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        if (err.kind === 'rls') return this.refuse(msg.ref, `Unauthorized: ${unauthorized(this.subTopic)}`);
        if (err.kind === 'partition') return this.refuse(msg.ref, 'UnableToSetPolicies: MissingPartition');
        return this.refuse(msg.ref, 'UnableToConnectToProject: Realtime was unable to connect to the project database');
      }
    }

    // A duplicate join or a closed socket may have replaced this channel while we waited.
    if (this.state !== 'joining') return;
    this.state = 'joined';
    this.token = token;
    this.key = topicKey(this.isPrivate, this.subTopic);
    const replay = this.isPrivate && this.broadcastRead && isObject(broadcast.replay) ? broadcast.replay : null;
    // Replay reads what is stored as of the join; live messages from then on are held until the
    // replay has gone out (and dropped when the replay already had them).
    if (replay) this.held = [];
    this.ctx.hub.add(this.key, this);
    const replayed = replay ? await this.readReplay(replay) : [];
    if (this.state !== 'joined') return;

    const echo = postgresChanges.map((params) => ({ ...(isObject(params) ? params : {}), id: filterId(params) }));
    this.reply(msg.ref, 'ok', { postgres_changes: echo });
    if (this.presenceActive) this.push('presence_state', this.ctx.hub.presenceState(this.key));
    if (echo.length > 0) {
      this.system(
        'postgres_changes',
        'error',
        'postgres_changes is not available in the local Realtime stand-in: use Broadcast from the database (realtime.send, realtime.broadcast_changes)',
      );
    }
    if (broadcast.replication_ready === true) this.system('system', 'ok', 'Replication connection established');
    this.scheduleConfirm();
    if (replay) this.sendReplay(replayed);
  }

  private async readReplay(options: Record<string, unknown>): Promise<StoredBroadcast[]> {
    const since = typeof options.since === 'number' && Number.isFinite(options.since) ? options.since : 0;
    const limit = typeof options.limit === 'number' && options.limit >= 1 ? Math.min(Math.floor(options.limit), 25) : 25;
    try {
      return await this.ctx.store.replay(this.subTopic, since, limit);
    } catch (err) {
      this.ctx.warn(`replay on ${this.topic}`, err);
      return [];
    }
  }

  /** Pushes stored private broadcasts with `meta.replayed`, then the live ones held meanwhile. */
  private sendReplay(rows: StoredBroadcast[]): void {
    const held = this.held ?? [];
    this.held = null;
    this.replayed = new Set(rows.map((row) => row.id));
    for (const row of rows) {
      this.deliver(
        new OutboundBroadcast(this.topic, { event: row.event, json: row.json, bytes: row.bytes, meta: JSON.stringify({ replayed: true, id: row.id }) }),
      );
    }
    for (const broadcast of held) this.deliver(broadcast);
  }

  // -- messages on a joined channel ---------------------------------------------------------------

  private async dispatch(msg: InboundMessage): Promise<void> {
    if (this.state !== 'joined') {
      this.conn.send(encodeMessage(this.conn.vsn, null, msg.ref, msg.topic, 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }));
      return;
    }
    switch (msg.event) {
      case 'phx_leave':
        this.reply(msg.ref, 'ok', {});
        this.sendClose();
        this.teardown();
        return;
      case 'broadcast':
        return this.onBroadcast(msg);
      case 'presence':
        return this.onPresence(msg);
      case 'access_token':
        return this.onAccessToken(msg);
      default:
        // The real server only logs unexpected events; the channel stays as it was.
        return;
    }
  }

  /** Write permission is checked once per channel and extension, on first use (docs/PLATFORM.md, "Channel authorization"). */
  private writeAllowed(extension: Extension): Promise<boolean> {
    let check = this.write[extension];
    if (!check) {
      const token = this.token!;
      check = this.ctx.authorizer.write(this.authContext(token), [extension]).then(
        (access) => access[extension],
        () => {
          // Could not be answered (database trouble): refuse this one, ask again next time.
          delete this.write[extension];
          return false;
        },
      );
      this.write[extension] = check;
    }
    return check;
  }

  private async onBroadcast(msg: InboundMessage): Promise<void> {
    const message = msg.userBroadcast ?? textBroadcast(msg.payload);
    if (!message) return;
    const size = message.bytes ? message.bytes.length : Buffer.byteLength(message.json ?? '');
    if (size > this.ctx.settings.maxPayloadBytes) {
      if (this.ack) this.reply(msg.ref, 'error', { reason: 'Payload size exceeds tenant limit' });
      return;
    }
    // Without write permission the message is silently dropped, and no ack is sent
    // (docs/PLATFORM.md, "Broadcast").
    if (this.isPrivate && !(await this.writeAllowed('broadcast'))) return;
    if (this.state !== 'joined') return;
    if (message.meta.persist !== undefined && message.meta.persist !== false) {
      if (!this.isPrivate) {
        if (this.ack) this.reply(msg.ref, 'error', { error: 'Realtime cannot store a message on a public channel' });
        return;
      }
      // Stored rows reach subscribers through the database path, with meta.id, once committed.
      try {
        await this.ctx.store.insert({ topic: this.subTopic, event: message.event, private: true, json: message.json, bytes: message.bytes });
      } catch (err) {
        this.ctx.warn(`persist on ${this.topic}`, err);
        if (this.ack) this.reply(msg.ref, 'error', { error: 'Unable to store the message' });
        return;
      }
    } else {
      this.ctx.hub.broadcast(this.key, this.subTopic, { event: message.event, json: message.json, bytes: message.bytes }, this.self ? undefined : this);
    }
    if (this.ack) this.reply(msg.ref, 'ok', {});
  }

  private async onPresence(msg: InboundMessage): Promise<void> {
    const payload = msg.payload;
    if (!isObject(payload) || typeof payload.event !== 'string') return;
    const event = payload.event.toLowerCase();
    if (event !== 'track' && event !== 'untrack') return this.reply(msg.ref, 'error', {});
    // Without write permission the real server answers ok and ignores the message.
    if (this.isPrivate && !(await this.writeAllowed('presence'))) return this.reply(msg.ref, 'ok', {});
    if (this.state !== 'joined') return;
    if (event === 'untrack') {
      this.reply(msg.ref, 'ok', {});
      this.ctx.hub.untrack(this.key, this);
      return;
    }
    const body = payload.payload ?? {};
    if (!isObject(body)) return this.reply(msg.ref, 'error', { reason: 'Presence track payload must be a map' });
    this.reply(msg.ref, 'ok', {});
    const meta = withVerifiedSub(body, this.token!.claims);

    // Tracking turns presence on for a channel that joined without it (docs/PLATFORM.md,
    // "Presence": state after first track).
    let justActivated = false;
    if (!this.presenceEnabled) {
      this.presenceEnabled = true;
      if (this.presenceRead === undefined) {
        try {
          this.presenceRead = (await this.ctx.authorizer.read(this.authContext(this.token!), ['presence'])).presence;
        } catch {
          this.presenceRead = false;
        }
        if (this.state !== 'joined') return;
      }
      justActivated = this.presenceActive;
    }
    this.ctx.hub.track(this.key, this, this.presenceKey, meta, justActivated ? this : undefined);
    if (justActivated) this.push('presence_state', this.ctx.hub.presenceState(this.key));
  }

  private async onAccessToken(msg: InboundMessage): Promise<void> {
    const tokenString = isObject(msg.payload) ? msg.payload.access_token : undefined;
    // Ignored: no token, an opaque `sb_` key, or the token already in use (docs/PLATFORM.md,
    // "Access-token refresh on channels").
    if (typeof tokenString !== 'string' || tokenString.startsWith('sb_') || tokenString === this.token?.token) return;
    let token: VerifiedToken;
    try {
      token = await verifyToken(this.ctx.keys, tokenString);
    } catch (err) {
      if (err instanceof TokenError) return this.shutdown(err.message);
      throw err;
    }
    if (this.isPrivate) {
      const extensions: Extension[] = this.presenceEnabled ? ['broadcast', 'presence'] : ['broadcast'];
      try {
        if (await this.sessionEnded(token)) return this.shutdown(SESSION_ENDED);
        const access = await this.ctx.authorizer.read(this.authContext(token), extensions);
        if (!access.broadcast && !access.presence) return this.shutdown(unauthorized(this.subTopic));
        this.broadcastRead = access.broadcast;
        if (this.presenceEnabled) this.presenceRead = access.presence;
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        return this.shutdown(err.kind === 'rls' ? unauthorized(this.subTopic) : 'Realtime was unable to connect to the project database');
      }
      // A new identity may have other write rights: ask again on next use.
      this.write = {};
    }
    if (this.state !== 'joined') return;
    this.token = token;
    this.scheduleConfirm();
  }

  // -- token expiry and shutdown ------------------------------------------------------------------

  /** A private channel's token must name a live Auth session (beyond the real server). */
  private async sessionEnded(token: VerifiedToken): Promise<boolean> {
    return this.isPrivate && !(await this.ctx.authorizer.sessionActive(token.claims));
  }

  /**
   * Re-checks the stored token every min(5 min, time to exp), as the real server does (docs/PLATFORM.md, "Access-token refresh on channels"), and
   * whether its session still exists: so a channel joined before a sign-out lasts at most one
   * interval, even when no new token is pushed.
   */
  private scheduleConfirm(): void {
    clearTimeout(this.confirmTimer);
    if (!this.token) return;
    const untilExpiry = this.token.exp * 1000 - Date.now();
    const delay = Math.max(5, Math.min(this.ctx.settings.confirmTokenIntervalMs, untilExpiry + 1));
    this.confirmTimer = setTimeout(() => this.enqueue(() => this.confirmToken()), delay).unref();
  }

  private async confirmToken(): Promise<void> {
    if (this.state !== 'joined' || !this.token) return;
    try {
      await verifyToken(this.ctx.keys, this.token.token);
      if (await this.sessionEnded(this.token)) return this.shutdown(SESSION_ENDED);
    } catch (err) {
      if (err instanceof TokenError) return this.shutdown(err.message);
      // Database trouble says nothing about the session: ask again at the next check.
      if (!(err instanceof PolicyError)) throw err;
    }
    this.scheduleConfirm();
  }

  /** Server-side shutdown: a `system` error, then `phx_close`; the client reports CLOSED (docs/PLATFORM.md, "Channel lifecycle"). */
  private shutdown(message: string): void {
    if (this.state !== 'joined') return;
    this.system('system', 'error', message);
    this.sendClose();
    this.teardown();
  }

  /** A second join of the same topic on this socket replaces this channel, as Phoenix does. */
  replaced(): void {
    if (this.state === 'joined') this.sendClose();
    this.teardown();
  }

  /** Forgets the channel; other members see its presence leave. Sends nothing itself. */
  teardown(): void {
    if (this.state === 'closed') return;
    const wasJoined = this.state === 'joined';
    this.state = 'closed';
    clearTimeout(this.confirmTimer);
    if (wasJoined) {
      this.ctx.hub.remove(this.key, this);
      this.ctx.hub.untrack(this.key, this);
    }
    if (this.conn.channels.get(this.topic) === this) this.conn.channels.delete(this.topic);
  }
}
