// The parts of the SDK the API uses: the wire schemas, the row mapping, the version diff and the
// helpers around them. Imported file by file (not through sdk/src/index.ts), so that the function
// does not load the SDK's client and its dependencies.
export * from '../../sdk/src/axes.ts';
export * from '../../sdk/src/schemas.ts';
export * from '../../sdk/src/mapping.ts';
export * from '../../sdk/src/diff.ts';
export * from '../../sdk/src/slug.ts';
