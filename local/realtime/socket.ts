// One WebSocket connection: decodes frames, answers heartbeats, routes channel events, and closes
// like Phoenix does on frames it cannot decode and on sockets that stay silent (docs/PLATFORM.md,
// "Frames", "Channel lifecycle").
import type { WebSocket } from 'ws';
import { Channel } from './channel.ts';
import type { ServiceContext } from './context.ts';
import { decodeFrame, encodeMessage, FrameError, type InboundMessage, type Ref, type Vsn } from './frames.ts';
import type { VerifiedToken } from './tokens.ts';

export class Connection {
  readonly channels = new Map<string, Channel>();
  private readonly idleTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly ctx: ServiceContext,
    private readonly ws: WebSocket,
    readonly vsn: Vsn,
    /** The verified `apikey` of the connection: the token of joins that bring none (or an `sb_` key). */
    readonly apikey: VerifiedToken,
    /** `x-*` headers of the handshake, visible to policies as `request.headers`. */
    readonly headers: Record<string, string>,
  ) {
    // Phoenix closes a transport that has received nothing for 60 s (heartbeats count).
    this.idleTimer = setTimeout(() => this.ws.close(1000, 'heartbeat timeout'), ctx.settings.idleTimeoutMs).unref();
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => this.teardown());
    ws.on('error', () => this.teardown());
  }

  send(frame: string | Buffer): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(frame);
  }

  private reply(joinRef: Ref, ref: Ref, topic: string, status: 'ok' | 'error', response: unknown): void {
    this.send(encodeMessage(this.vsn, joinRef, ref, topic, 'phx_reply', { status, response }));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.idleTimer.refresh();
    let msg: InboundMessage;
    try {
      msg = decodeFrame(data, isBinary, this.vsn);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      // The real socket process crashes on undecodable input; the client sees the socket close.
      this.ws.close(1011, 'malformed frame');
      this.teardown();
      return;
    }
    if (msg.topic === 'phoenix' && msg.event === 'heartbeat') {
      this.reply(null, msg.ref, 'phoenix', 'ok', {});
      return;
    }
    if (msg.event === 'phx_join') {
      this.join(msg);
      return;
    }
    const channel = this.channels.get(msg.topic);
    if (!channel) {
      this.reply(null, msg.ref, msg.topic, 'error', { reason: 'unmatched topic' });
      return;
    }
    channel.handle(msg);
  }

  private join(msg: InboundMessage): void {
    if (!msg.topic.startsWith('realtime:')) {
      this.reply(null, msg.ref, msg.topic, 'error', { reason: 'unmatched topic' });
      return;
    }
    this.channels.get(msg.topic)?.replaced();
    const channel = new Channel(this, msg.topic, msg.joinRef ?? msg.ref);
    this.channels.set(msg.topic, channel);
    channel.join(msg);
  }

  /** Server shutdown: a close frame, then a hard close if the client does not answer. */
  async close(): Promise<void> {
    if (this.ws.readyState === this.ws.CLOSED) return this.teardown();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 500);
      this.ws.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      this.ws.close(1001, 'server shutting down');
    });
    this.teardown();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    for (const channel of [...this.channels.values()]) channel.teardown();
    this.channels.clear();
  }
}
