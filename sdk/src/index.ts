export * from './axes.ts';
export * from './schemas.ts';
export * from './mapping.ts';
export * from './diff.ts';
export * from './slug.ts';
