// `npm run build:sdk`: compiles sdk/src to sdk/dist (ESM + .d.ts). The sources import each other
// with `.ts` extensions (so that Deno runs them as they are); tsc rewrites those to `.js` in the
// JavaScript it emits but not in declarations, which this script then does, so that consumers with
// any module resolution can read them.
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../local/config.ts';

const sdk = path.join(ROOT, 'sdk');
const dist = path.join(sdk, 'dist');

await rm(dist, { recursive: true, force: true });
const tsc = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', path.join(sdk, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

for (const file of await readdir(dist)) {
  if (!file.endsWith('.d.ts')) continue;
  const full = path.join(dist, file);
  const text = await readFile(full, 'utf8');
  await writeFile(full, text.replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2').replace(/(import\(['"]\.{1,2}\/[^'"]+)\.ts(['"]\))/g, '$1.js$2'));
}
console.log(`built ${path.relative(ROOT, dist)}`);
