// Who listens to what: joined channels by namespaced topic, and Presence per topic. Private and
// public channels of the same topic are separate namespaces (docs/PLATFORM.md, "Channel
// authorization"), so every key carries its namespace.
import { randomBytes } from 'node:crypto';
import { OutboundBroadcast, type Broadcast } from './frames.ts';

/** What the hub needs from a joined channel. */
export interface Member {
  /** `realtime:<sub-topic>`, the topic in frames. */
  readonly topic: string;
  deliver(broadcast: OutboundBroadcast): void;
  /** Whether this member receives presence_state / presence_diff. */
  readonly presenceActive: boolean;
  pushPresence(event: 'presence_state' | 'presence_diff', payload: unknown): void;
}

export function topicKey(isPrivate: boolean, subTopic: string): string {
  return `${isPrivate ? 'private' : 'public'}|${subTopic}`;
}

type Meta = Record<string, unknown> & { phx_ref: string };
export type PresenceState = Record<string, { metas: Meta[] }>;

interface Tracked {
  key: string;
  meta: Meta;
}

/** Phoenix presence refs are short opaque strings; only uniqueness matters to clients. */
function presenceRef(): string {
  return randomBytes(8).toString('base64url');
}

function group(entries: Iterable<Tracked>): PresenceState {
  const state: PresenceState = {};
  for (const { key, meta } of entries) (state[key] ??= { metas: [] }).metas.push(meta);
  return state;
}

export class Hub {
  private readonly members = new Map<string, Set<Member>>();
  private readonly presence = new Map<string, Map<Member, Tracked>>();

  add(key: string, member: Member): void {
    let set = this.members.get(key);
    if (!set) this.members.set(key, (set = new Set()));
    set.add(member);
  }

  remove(key: string, member: Member): void {
    const set = this.members.get(key);
    if (!set) return;
    set.delete(member);
    if (set.size === 0) this.members.delete(key);
  }

  /** Fans a broadcast out; the frame is encoded once per protocol version, not per subscriber. */
  broadcast(key: string, subTopic: string, message: Broadcast, except?: Member): number {
    const set = this.members.get(key);
    if (!set) return 0;
    const outbound = new OutboundBroadcast(`realtime:${subTopic}`, message);
    let count = 0;
    for (const member of set) {
      if (member === except) continue;
      member.deliver(outbound);
      count++;
    }
    return count;
  }

  presenceState(key: string): PresenceState {
    return group(this.presence.get(key)?.values() ?? []);
  }

  /** Tracks or updates the member's presence; an update leaves the old meta and joins the new one. */
  track(key: string, member: Member, presenceKey: string, payload: Record<string, unknown>, except?: Member): void {
    let topic = this.presence.get(key);
    if (!topic) this.presence.set(key, (topic = new Map()));
    const previous = topic.get(member);
    const meta: Meta = { ...payload, phx_ref: presenceRef() };
    if (previous) meta.phx_ref_prev = previous.meta.phx_ref;
    const tracked = { key: presenceKey, meta };
    topic.set(member, tracked);
    this.sendDiff(key, { joins: group([tracked]), leaves: previous ? group([previous]) : {} }, except);
  }

  untrack(key: string, member: Member): void {
    const topic = this.presence.get(key);
    const previous = topic?.get(member);
    if (!topic || !previous) return;
    topic.delete(member);
    if (topic.size === 0) this.presence.delete(key);
    this.sendDiff(key, { joins: {}, leaves: group([previous]) });
  }

  private sendDiff(key: string, diff: { joins: PresenceState; leaves: PresenceState }, except?: Member): void {
    for (const member of this.members.get(key) ?? []) {
      if (member !== except && member.presenceActive) member.pushPresence('presence_diff', diff);
    }
  }
}
