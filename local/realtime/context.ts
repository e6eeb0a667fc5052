// What the socket, channel and REST modules share inside one Realtime service.
import type { KeyRing } from '../jwt.ts';
import type { Authorizer } from './authorization.ts';
import type { Hub } from './hub.ts';
import type { MessageStore } from './store.ts';
import type { RealtimeSettings } from './settings.ts';

export interface ServiceContext {
  settings: RealtimeSettings;
  keys: KeyRing;
  hub: Hub;
  authorizer: Authorizer;
  store: MessageStore;
  /** Unexpected failures only; refused input is answered on the wire, never logged. */
  warn(message: string, err?: unknown): void;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
