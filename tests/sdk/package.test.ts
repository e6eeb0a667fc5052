// The SDK as a package: it builds, `npm pack` holds only what a consumer needs (with the sources its
// maps point to), its manifest follows the conventions bundlers and resolvers rely on, and the
// tarball installs into an app that has its own supabase-js, where it type-checks (strict, NodeNext)
// together with every code sample of the READMEs, and imports at run time.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../local/config.ts';
import { buildSdk } from '../../scripts/build-sdk.ts';

const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
function run(file: string, args: string[], cwd: string): string {
  try {
    return execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: err });
  }
}

interface Manifest {
  main: string;
  types: string;
  sideEffects: boolean;
  exports: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** An app's supabase-js, newer than the one the SDK is built with, inside the SDK's peer range. */
const APP_SUPABASE_JS = '2.119.1';

/**
 * The ```ts blocks of a README, each as a module of its own: its imports first, then its code in a
 * block, after declarations of what the READMEs take as given (the client, a workspace, a brand DNA,
 * form values). Samples leave out error checks for brevity (`data` may be null), so null checks are
 * off; everything else is strict.
 */
async function readmeSamples(file: string): Promise<{ name: string; code: string }[]> {
  const markdown = await readFile(file, 'utf8');
  const given = [
    "import type * as Given from '@tekton/studio-sdk';",
    'declare const studio: Given.StudioClient;',
    'declare const ws: Given.Workspace;',
    'declare const dna: Given.BrandDna;',
    'declare const id: string, presetId: string, bobId: string, cursor: string;',
    'declare const email: string, password: string, name: string, description: string;',
    'declare const axes: Given.Axes;',
    'export {};',
  ].join('\n');
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((match) => {
    const code = match[1]!;
    const imports = [...code.matchAll(/^import[\s\S]*?from\s+'[^']+';$/gm)].map((m) => m[0]);
    const body = imports.reduce((rest, statement) => rest.replace(statement, ''), code);
    const line = markdown.slice(0, match.index).split('\n').length + 1;
    const name = `${path.relative(ROOT, file).replace(/[^\w]+/g, '-')}-line-${line}`;
    return { name, code: `${imports.join('\n')}\n${given}\n{\n${body}\n}\n` };
  });
}

describe('@tekton/studio-sdk package', () => {
  let dir = '';
  let tarball = '';
  let files: string[] = [];
  let manifest: Manifest;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'studio-sdk-'));
    await buildSdk();
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], path.join(ROOT, 'sdk'))) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(dir, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);
    manifest = JSON.parse(await readFile(path.join(ROOT, 'sdk', 'package.json'), 'utf8')) as Manifest;
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('packs the built ESM, declarations, source maps and their sources, and nothing else', () => {
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/database.types.d.ts');
    expect(files).toContain('src/client.ts');
    expect(files.filter((f) => !/^(dist|src)\//.test(f) && f !== 'package.json' && f !== 'README.md')).toEqual([]);
    expect(files.some((f) => f.endsWith('.test.ts'))).toBe(false);
  });

  it('ships the sources that every source map points to', async () => {
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(path.join(ROOT, 'sdk', map), 'utf8')) as { sources: string[] };
      for (const source of sources) expect(files, `${map} → ${source}`).toContain(path.posix.join(path.posix.dirname(map), source));
    }
  });

  it('declares itself side-effect free, with an exports map whose targets are packed', () => {
    expect(manifest.sideEffects).toBe(false);
    expect(Object.keys(manifest.exports)).toEqual(['.', './package.json']);
    const root = manifest.exports['.'] as Record<string, string>;
    expect(Object.keys(root)[0]).toBe('types');
    expect(Object.keys(root)).toContain('import');
    expect(Object.keys(root).at(-1)).toBe('default');
    for (const target of [...Object.values(root), manifest.main, manifest.types]) expect(files).toContain(target.replace(/^\.\//, ''));
  });

  it('takes supabase-js and zod as peer dependencies with ranges, so an app keeps one copy of each', () => {
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(Object.keys(manifest.peerDependencies ?? {}).sort()).toEqual(['@supabase/supabase-js', 'zod']);
    for (const range of Object.values(manifest.peerDependencies!)) expect(range).toMatch(/^\^\d+\.\d+\.\d+$/);
  });

  it('installs into an app with its own supabase-js, type-checks with NodeNext (README samples included), and imports', async () => {
    const project = path.join(dir, 'consumer');
    await mkdir(project);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // A Node project: supabase-js's own declarations refer to Node's types.
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `@supabase/supabase-js@${APP_SUPABASE_JS}`, 'zod@4.6.7', '@types/node@20.19.43'], project);
    const installed = path.join(project, 'node_modules', '@tekton', 'studio-sdk');
    await expect(readdir(path.join(installed, 'node_modules'))).rejects.toThrow(/ENOENT/);

    const samples = [...(await readmeSamples(path.join(ROOT, 'sdk', 'README.md'))), ...(await readmeSamples(path.join(ROOT, 'README.md')))];
    expect(new Set(samples.map((s) => s.name)).size).toBe(samples.length);
    expect(samples.length).toBeGreaterThan(9);
    for (const sample of samples) await writeFile(path.join(project, `${sample.name}.ts`), sample.code);
    await writeFile(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: false, lib: ['ES2023', 'DOM'], types: ['node'] }, include: ['app.ts'] }),
    );
    await writeFile(
      path.join(project, 'tsconfig.samples.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { strictNullChecks: false, skipLibCheck: true }, include: samples.map((s) => `${s.name}.ts`) }),
    );
    await writeFile(
      path.join(project, 'app.ts'),
      [
        "import { createClient, type SupabaseClient } from '@supabase/supabase-js';",
        "import { createStudioClient, BrandDnaSchema, compareAxes, type BrandDna, type Database, type StudioError } from '@tekton/studio-sdk';",
        "const client = createStudioClient({ url: 'http://127.0.0.1:54321', key: 'sb_publishable_x' });",
        '// The app\'s own supabase-js and the SDK\'s are one: its client types match.',
        'export const supabase: SupabaseClient<Database> = client.supabase;',
        "export const own: SupabaseClient = createClient('http://127.0.0.1:54321', 'sb_publishable_x');",
        'export async function rename(id: string): Promise<BrandDna | StudioError> {',
        "  const { data, error } = await client.brandDna.update(id, { name: 'New name', axes: { energy: 0.9 } }, { ifMatch: 3 });",
        '  return error ?? data;',
        '}',
        "type Row = Database['public']['Tables']['brand_dna']['Row'];",
        "export const row: Pick<Row, 'energy'> = { energy: 0.5 };",
        'export const parsed = BrandDnaSchema.safeParse({}).success;',
        'export const diff = compareAxes({ density: 0, warmth: 0, playfulness: 0, sophistication: 0, energy: 0 }, { density: 1, warmth: 0, playfulness: 0, sophistication: 0, energy: 0 });',
        '// @ts-expect-error: axes must be numbers',
        "void client.brandDna.update('id', { axes: { energy: 'high' } });",
      ].join('\n'),
    );
    run(bin('tsc'), ['-p', project], project);
    run(bin('tsc'), ['-p', path.join(project, 'tsconfig.samples.json')], project);
    const out = run(process.execPath, ['--input-type=module', '-e', "const m = await import('@tekton/studio-sdk'); console.log(typeof m.createStudioClient, m.AXES.join(','))"], project);
    expect(out.trim()).toBe('function density,warmth,playfulness,sophistication,energy');
    expect((await readdir(path.join(installed, 'dist'))).length).toBeGreaterThan(5);
  }, 180_000);
});
