// The SDK as a package: it builds, `npm pack` holds only what a consumer needs, and the tarball
// installs into an empty project where it type-checks (strict, NodeNext) and imports at run time.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../local/config.ts';

const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
function run(file: string, args: string[], cwd: string): string {
  try {
    return execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: err });
  }
}

describe('@tekton/studio-sdk package', () => {
  let dir = '';
  let tarball = '';
  let files: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'studio-sdk-'));
    run(bin('tsx'), ['scripts/build-sdk.ts'], ROOT);
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], path.join(ROOT, 'sdk'))) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(dir, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('packs the built ESM and declarations, and nothing else', () => {
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/database.types.d.ts');
    expect(files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md')).toEqual([]);
    expect(files.some((f) => f.endsWith('.test.ts'))).toBe(false);
  });

  it('installs into an empty project, type-checks with NodeNext, and imports', async () => {
    const project = path.join(dir, 'consumer');
    await mkdir(project);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // A Node project: supabase-js's own declarations refer to Node's types.
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, '@types/node@20.19.43'], project);
    await writeFile(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: false, lib: ['ES2023', 'DOM'], types: ['node'] }, include: ['app.ts'] }),
    );
    await writeFile(
      path.join(project, 'app.ts'),
      [
        "import { createStudioClient, BrandDnaSchema, compareAxes, type BrandDna, type Database, type StudioError } from '@tekton/studio-sdk';",
        "const client = createStudioClient({ url: 'http://127.0.0.1:54321', key: 'sb_publishable_x' });",
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
    const out = run(process.execPath, ['--input-type=module', '-e', "const m = await import('@tekton/studio-sdk'); console.log(typeof m.createStudioClient, m.AXES.join(','))"], project);
    expect(out.trim()).toBe('function density,warmth,playfulness,sophistication,energy');
    expect((await readdir(path.join(project, 'node_modules', '@tekton', 'studio-sdk', 'dist'))).length).toBeGreaterThan(5);
  }, 180_000);
});
