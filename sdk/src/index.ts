// @tekton/studio-sdk: the wire contract (zod schemas, types, helpers), the generated Database types,
// and the typed client.
export * from './contract.ts';
export * from './invitations.ts';
export * from './studio-files.ts';
export * from './client.ts';
export * from './http.ts';
export * from './realtime.ts';
export * from './realtime-topics.ts';
export type { Database, Json } from './database.types.ts';
