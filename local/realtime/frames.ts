// Wire codec of the Phoenix socket as Realtime speaks it (docs/PLATFORM.md, "Frames"). vsn 2.0.0:
// text frames are JSON arrays `[join_ref, ref, topic, event, payload]`, client broadcasts arrive as
// binary kind 3 and user broadcasts leave as binary kind 4. vsn 1.0.0 (and no vsn at all, like the
// real server) uses JSON objects only. Kinds 0/1/2 are never sent: realtime-js cannot decode them.

export type Vsn = '1.0.0' | '2.0.0';
/** Refs are echoed exactly as the client sent them (realtime-js sends decimal strings). */
export type Ref = string | number | null;

export interface InboundMessage {
  joinRef: Ref;
  ref: Ref;
  topic: string;
  event: string;
  payload: unknown;
  /** Present for binary kind-3 user broadcasts (the user payload stays undecoded until needed). */
  userBroadcast?: UserBroadcast;
}

export interface UserBroadcast {
  event: string;
  /** JSON text (encoding 1) or raw bytes (encoding 0). */
  json?: string;
  bytes?: Buffer;
  /** Metadata keys the client is allowed to send (only `persist` today). */
  meta: Record<string, unknown>;
}

/** Thrown for frames the server cannot decode; the real server's socket process crashes on them. */
export class FrameError extends Error {}

const KIND_USER_BROADCAST_PUSH = 3;
const KIND_USER_BROADCAST = 4;
const ENCODING_BINARY = 0;
const ENCODING_JSON = 1;

function isRef(value: unknown): value is Ref {
  return value === null || value === undefined || typeof value === 'string' || typeof value === 'number';
}

function checkFields(joinRef: unknown, ref: unknown, topic: unknown, event: unknown): void {
  if (!isRef(joinRef) || !isRef(ref)) throw new FrameError('refs must be strings or null');
  if (typeof topic !== 'string' || typeof event !== 'string') throw new FrameError('topic and event must be strings');
}

function decodeText(text: string, vsn: Vsn): InboundMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new FrameError('frame is not JSON');
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(parsed) || parsed.length < 5) throw new FrameError('expected [join_ref, ref, topic, event, payload]');
    const [joinRef, ref, topic, event, payload] = parsed as unknown[];
    checkFields(joinRef, ref, topic, event);
    return { joinRef: (joinRef ?? null) as Ref, ref: (ref ?? null) as Ref, topic: topic as string, event: event as string, payload };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new FrameError('expected a message object');
  const msg = parsed as Record<string, unknown>;
  checkFields(msg.join_ref, msg.ref, msg.topic, msg.event);
  return {
    joinRef: (msg.join_ref ?? null) as Ref,
    ref: (msg.ref ?? null) as Ref,
    topic: msg.topic as string,
    event: msg.event as string,
    payload: msg.payload,
  };
}

function decodeBinary(data: Buffer): InboundMessage {
  if (data.length < 7 || data[0] !== KIND_USER_BROADCAST_PUSH) throw new FrameError('unknown binary frame kind');
  const lengths = [data[1]!, data[2]!, data[3]!, data[4]!, data[5]!];
  const encoding = data[6]!;
  if (encoding !== ENCODING_BINARY && encoding !== ENCODING_JSON) throw new FrameError('unknown payload encoding');
  let offset = 7;
  const fields: string[] = [];
  for (const length of lengths) {
    if (offset + length > data.length) throw new FrameError('binary frame is truncated');
    fields.push(data.toString('utf8', offset, offset + length));
    offset += length;
  }
  const [joinRef, ref, topic, event, metadata] = fields as [string, string, string, string, string];
  let meta: Record<string, unknown> = {};
  if (metadata !== '') {
    try {
      const parsed: unknown = JSON.parse(metadata);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) meta = parsed as Record<string, unknown>;
    } catch {
      throw new FrameError('broadcast metadata is not JSON');
    }
  }
  const body = data.subarray(offset);
  const userBroadcast: UserBroadcast =
    encoding === ENCODING_JSON ? { event, json: body.toString('utf8'), meta } : { event, bytes: Buffer.from(body), meta };
  return { joinRef: joinRef || null, ref: ref || null, topic, event: 'broadcast', payload: null, userBroadcast };
}

export function decodeFrame(data: Buffer, isBinary: boolean, vsn: Vsn): InboundMessage {
  return isBinary ? decodeBinary(data) : decodeText(data.toString('utf8'), vsn);
}

/** A text frame: replies, pushes, system messages and presence. */
export function encodeMessage(vsn: Vsn, joinRef: Ref, ref: Ref, topic: string, event: string, payload: unknown): string {
  if (vsn === '2.0.0') return JSON.stringify([joinRef, ref, topic, event, payload]);
  return JSON.stringify({ topic, event, payload, ref, ...(joinRef !== null ? { join_ref: joinRef } : {}) });
}

/** A broadcast as it leaves the server, encoded once per protocol version for all recipients. */
export interface Broadcast {
  event: string;
  /** JSON text of the user payload; or raw bytes for binary broadcasts. */
  json?: string;
  bytes?: Buffer;
  /** JSON text of the metadata (`{"id":…}` for database broadcasts). */
  meta?: string;
  /** realtime.messages row id of a database broadcast. */
  id?: string;
  /** REST batch broadcasts travel as text frames on the real server. */
  asText?: boolean;
}

export class OutboundBroadcast {
  private readonly frames = new Map<Vsn, string | Buffer | null>();

  constructor(
    readonly topic: string,
    readonly message: Broadcast,
  ) {}

  /** `null` when the frame cannot be expressed for this protocol (binary payload to a vsn-1 client). */
  frame(vsn: Vsn): string | Buffer | null {
    let frame = this.frames.get(vsn);
    if (frame === undefined) {
      frame = this.encode(vsn);
      this.frames.set(vsn, frame);
    }
    return frame;
  }

  private encode(vsn: Vsn): string | Buffer | null {
    const { event, json, bytes, meta, asText } = this.message;
    if (vsn === '2.0.0' && !asText) {
      const topic = Buffer.from(this.topic, 'utf8');
      const userEvent = Buffer.from(event, 'utf8');
      const metadata = Buffer.from(meta ?? '', 'utf8');
      // Kind 4 carries one-byte lengths; longer fields fall back to the equivalent text frame.
      if (topic.length <= 255 && userEvent.length <= 255 && metadata.length <= 255) {
        const body = bytes ?? Buffer.from(json ?? '{}', 'utf8');
        const header = Buffer.from([KIND_USER_BROADCAST, topic.length, userEvent.length, metadata.length, bytes ? ENCODING_BINARY : ENCODING_JSON]);
        return Buffer.concat([header, topic, userEvent, metadata, body]);
      }
    }
    if (bytes) return null;
    const inner = `{"type":"broadcast","event":${JSON.stringify(event)},"payload":${json ?? '{}'}${meta ? `,"meta":${meta}` : ''}}`;
    if (vsn === '2.0.0') return `[null,null,${JSON.stringify(this.topic)},"broadcast",${inner}]`;
    return `{"topic":${JSON.stringify(this.topic)},"event":"broadcast","payload":${inner},"ref":null}`;
  }
}
