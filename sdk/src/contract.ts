// The wire contract, with no dependency beyond zod, so that the Edge Function (Deno) can import it:
// schemas, axis helpers, row mapping, the version diff and slugs.
export * from './axes.ts';
export * from './schemas.ts';
export * from './mapping.ts';
export * from './diff.ts';
export * from './slug.ts';
