// `npm run bench`: every benchmark in turn, or only those named (`npm run bench -- db api`).
// Each prints its numbers and a ratio against a baseline measured in the same run; none asserts time.
export {};

const suites: Record<string, () => Promise<{ bench(): Promise<void> }>> = {
  stack: () => import('./stack.ts'),
  db: () => import('./db.ts'),
  api: () => import('./api.ts'),
  auth: () => import('./auth.ts'),
  realtime: () => import('./realtime.ts'),
  sdk: () => import('./sdk.ts'),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in suites));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}

for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) {
  console.log(`\n# ${name}`);
  const started = performance.now();
  await (await suites[name]!()).bench();
  console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
process.exit(0);
