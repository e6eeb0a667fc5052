// `npm run bench -- sdk`: what the SDK weighs in a frontend. An app that imports createStudioClient
// from the built package, bundled for the browser by Vite and by esbuild, minified and gzip, next
// to the baseline measured in the same run: an app that imports supabase-js alone. The budget (the
// SDK, zod included, adds at most 35 kB gzip over supabase-js with either bundler) is checked by
// tests/sdk/bundle.test.ts with the same functions.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSdkCopy, type SdkCopy } from '../scripts/build-sdk.ts';

/** kB, as bundlers print them (1 kB = 1000 bytes). */
export const BUDGET_GZIP_BYTES = 35_000;

export const BUNDLERS = ['vite', 'esbuild'] as const;
export type Bundler = (typeof BUNDLERS)[number];

export interface BundleSize {
  minified: number;
  gzip: number;
  /** The modules in the bundle (paths). */
  modules: string[];
  /** The bundle itself (minified). */
  code: string;
}

export interface BundleComparison {
  bundler: Bundler;
  /** An app with supabase-js alone. */
  baseline: BundleSize;
  /** The same app with createStudioClient instead. */
  sdk: BundleSize;
}

function sizeOf(code: string, modules: string[]): BundleSize {
  return { minified: Buffer.byteLength(code), gzip: gzipSync(code).length, modules, code };
}

async function withEsbuild(entry: string): Promise<BundleSize> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, metafile: true, logLevel: 'silent' });
  // Only what made it into the output: esbuild parses (and lists as inputs) modules it then drops.
  const inOutput = Object.values(result.metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs).filter(([, use]) => use.bytesInOutput > 0).map(([input]) => input),
  );
  return sizeOf(result.outputFiles.map((file) => file.text).join(''), inOutput);
}

async function withVite(entry: string): Promise<BundleSize> {
  const vite = await import('vite');
  const output = await vite.build({
    configFile: false,
    logLevel: 'silent',
    root: path.dirname(entry),
    build: { write: false, minify: true, target: 'es2022', rolldownOptions: { input: entry } },
  });
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : [])).filter((o) => o.type === 'chunk');
  return sizeOf(chunks.map((chunk) => chunk.code).join(''), chunks.flatMap((chunk) => chunk.moduleIds));
}

/** Bundles both apps with both bundlers, the SDK from `copy`. */
export async function compareBundles(copy: SdkCopy): Promise<BundleComparison[]> {
  const url = "'http://127.0.0.1:54321'";
  const baseline = path.join(copy.dir, 'baseline.js');
  const app = path.join(copy.dir, 'app.js');
  await writeFile(baseline, `import { createClient } from '@supabase/supabase-js';\nglobalThis.client = createClient(${url}, 'sb_publishable_key');\n`);
  await writeFile(app, `import { createStudioClient } from ${JSON.stringify(copy.entry)};\nglobalThis.studio = createStudioClient({ url: ${url}, key: 'sb_publishable_key' });\n`);
  const comparisons: BundleComparison[] = [];
  for (const bundler of BUNDLERS) {
    const bundle = bundler === 'vite' ? withVite : withEsbuild;
    comparisons.push({ bundler, baseline: await bundle(baseline), sdk: await bundle(app) });
  }
  return comparisons;
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

export async function bench(): Promise<void> {
  const copy = await buildSdkCopy();
  try {
    console.log('bundler   app                          minified      gzip');
    for (const { bundler, baseline, sdk } of await compareBundles(copy)) {
      console.log(`${bundler.padEnd(9)} supabase-js alone         ${kB(baseline.minified).padStart(12)} ${kB(baseline.gzip).padStart(9)}`);
      console.log(`${bundler.padEnd(9)} createStudioClient        ${kB(sdk.minified).padStart(12)} ${kB(sdk.gzip).padStart(9)}`);
      const added = sdk.gzip - baseline.gzip;
      console.log(
        `${bundler.padEnd(9)} the SDK adds              ${kB(sdk.minified - baseline.minified).padStart(12)} ${kB(added).padStart(9)}` +
          `   (×${(sdk.gzip / baseline.gzip).toFixed(2)} gzip; budget +${kB(BUDGET_GZIP_BYTES)}: ${added <= BUDGET_GZIP_BYTES ? 'within' : 'OVER'})`,
      );
    }
  } finally {
    await copy.remove();
  }
}
