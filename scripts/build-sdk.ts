// `npm run build:sdk`: compiles sdk/src to sdk/dist (ESM + .d.ts, with source maps that point into
// the shipped sdk/src). The sources import each other with `.ts` extensions (so that Deno runs them
// as they are); tsc rewrites those to `.js` in the JavaScript it emits but not in declarations,
// which this script then does, so that consumers with any module resolution can read them.
// Top-level definitions built by a call (`export const BrandDnaSchema = z.object(…)`) have no side
// effects, but bundlers cannot tell, and would keep every schema of the contract in an app that uses
// a few: each is wrapped in a function call marked `/* @__PURE__ */` (see markPure).
// `buildSdkCopy()` builds a private copy (the browser suite and the bundle-size checks use one, so
// that they never race the package test over sdk/dist).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ROOT } from '../local/config.ts';

const sdk = path.join(ROOT, 'sdk');

export async function buildSdk(outDir = path.join(sdk, 'dist')): Promise<string> {
  await rm(outDir, { recursive: true, force: true });
  const tsc = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', path.join(sdk, 'tsconfig.build.json'), '--outDir', outDir], {
    encoding: 'utf8',
  });
  if (tsc.status !== 0) throw new Error(`tsc failed to build the SDK:\n${tsc.stdout}${tsc.stderr}`);
  for (const file of await readdir(outDir)) {
    const full = path.join(outDir, file);
    const text = await readFile(full, 'utf8');
    if (file.endsWith('.d.ts')) {
      await writeFile(full, text.replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2').replace(/(import\(['"]\.{1,2}\/[^'"]+)\.ts(['"]\))/g, '$1.js$2'));
    } else if (file.endsWith('.js')) {
      await writeFile(full, markPure(text));
    }
  }
  return path.join(outDir, 'index.js');
}

/**
 * `export const X = f(…)` → `export const X = /* @__PURE__ *\/ (() => f(…))()`. Marking `f(…)` itself
 * is not enough: a bundler drops a pure call but keeps its arguments when they may have effects, such
 * as method calls (`z.object({ id: IdSchema.optional() })`) and template literals (`${max}`).
 */
function markPure(code: string): string {
  const file = ts.createSourceFile('module.js', code, ts.ScriptTarget.Latest, true);
  const calls = file.statements
    .filter(ts.isVariableStatement)
    .flatMap((statement) => statement.declarationList.declarations.map((declaration) => declaration.initializer))
    .filter((initializer) => initializer !== undefined && ts.isCallExpression(initializer));
  let marked = code;
  for (const call of calls.reverse()) {
    marked = `${marked.slice(0, call.getStart(file))}/* @__PURE__ */ (() => ${call.getText(file)})()${marked.slice(call.end)}`;
  }
  return marked;
}

export interface SdkCopy {
  /** A scratch folder under .data, so that what is built there resolves supabase-js and zod from
   * the repository's node_modules. */
  dir: string;
  /** The built index.js. */
  entry: string;
  remove(): Promise<void>;
}

export async function buildSdkCopy(): Promise<SdkCopy> {
  await mkdir(path.join(ROOT, '.data'), { recursive: true });
  const dir = await mkdtemp(path.join(ROOT, '.data', 'sdk-copy-'));
  return { dir, entry: await buildSdk(path.join(dir, 'sdk')), remove: () => rm(dir, { recursive: true, force: true }) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildSdk();
  console.log(`built ${path.relative(ROOT, path.join(sdk, 'dist'))}`);
}
