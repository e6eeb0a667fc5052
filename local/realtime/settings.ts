// Tunables of the Realtime stand-in. Defaults follow the real server (docs/PLATFORM.md,
// "Realtime"); the env names are the real server's own (CHANNEL_ERROR_BACKOFF_MS,
// CONNECT_ERROR_BACKOFF_MS) so a developer can shorten the deliberate error delays the same way for
// both.

/** How database broadcasts reach the service (see db-delivery.ts; chosen by measurement). */
export type DeliveryMode = 'notify' | 'replication';

export interface RealtimeSettings {
  /** Delay before a refused join is answered (real server: 5 s, slows down reconnect storms). */
  channelErrorBackoffMs: number;
  /** Delay before a refused WebSocket upgrade is answered (real server: ~2 s). */
  connectErrorBackoffMs: number;
  /** Largest user payload accepted for one broadcast (tenant default `max_payload_size_in_kb` = 3000). */
  maxPayloadBytes: number;
  /** Largest WebSocket frame at all; past it the socket is closed with 1009 as Cowboy does. */
  maxFrameBytes: number;
  /** A socket that sends nothing (not even heartbeats) for this long is closed (Phoenix: 60 s). */
  idleTimeoutMs: number;
  /** Longest wait before the stored token of a channel is re-checked (real server: 5 min). */
  confirmTokenIntervalMs: number;
  /** How often the partitions of realtime.messages are created and dropped (real server: hourly). */
  partitionIntervalMs: number;
  delivery: DeliveryMode;
  /** Connections used for authorization checks, persistence and REST. */
  poolSize: number;
}

export const DEFAULT_SETTINGS: RealtimeSettings = {
  channelErrorBackoffMs: 5000,
  connectErrorBackoffMs: 2000,
  maxPayloadBytes: 3000 * 1024,
  maxFrameBytes: 8 * 1024 * 1024,
  idleTimeoutMs: 60_000,
  confirmTokenIntervalMs: 5 * 60_000,
  partitionIntervalMs: 60 * 60_000,
  delivery: 'notify',
  poolSize: 4,
};

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Defaults, then environment, then explicit overrides (tests, benchmark). */
export function resolveSettings(overrides: Partial<RealtimeSettings> = {}): RealtimeSettings {
  const fromEnv: Partial<RealtimeSettings> = {};
  const channel = envNumber('CHANNEL_ERROR_BACKOFF_MS');
  if (channel !== undefined) fromEnv.channelErrorBackoffMs = channel;
  const connect = envNumber('CONNECT_ERROR_BACKOFF_MS');
  if (connect !== undefined) fromEnv.connectErrorBackoffMs = connect;
  const delivery = process.env.REALTIME_DELIVERY;
  if (delivery === 'notify' || delivery === 'replication') fromEnv.delivery = delivery;
  return { ...DEFAULT_SETTINGS, ...fromEnv, ...overrides };
}
