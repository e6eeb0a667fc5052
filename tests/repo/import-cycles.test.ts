// No module imports itself round a loop of imports, type-only imports included: a loop ties its
// files together, so none can be read, tested or moved alone. TypeScript's own pre-processor lists
// each file's imports; relative ones are followed.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../local/config.ts';

/** Loops there are today, each to be broken by the work on its area (then taken off this list). */
const KNOWN_LOOPS = ['functions/_shared/auth.ts → functions/_shared/config.ts → functions/_shared/auth.ts'];

/** Folders that hold no source of ours: dependencies, data, build output. */
const NOT_SOURCE = new Set(['node_modules', '.git', '.data', 'dist', 'scratch']);

/** The project's TypeScript files, relative to the root. */
function sourceFiles(dir = ''): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return NOT_SOURCE.has(entry.name) ? [] : sourceFiles(file);
    return entry.isFile() && file.endsWith('.ts') ? [file] : [];
  });
}

/** Each TypeScript file of the project → the project files it imports. */
function importGraph(): Map<string, string[]> {
  const files = sourceFiles();
  const known = new Set(files);
  return new Map(
    files.map((file) => {
      const { importedFiles } = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
      const targets = importedFiles
        .map(({ fileName }) => fileName)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => path.posix.join(path.posix.dirname(file), specifier))
        .filter((target) => known.has(target));
      return [file, targets];
    }),
  );
}

/** One loop per import that leads back into the chain being followed (depth first). */
function importLoops(graph: Map<string, string[]>): string[] {
  const loops: string[] = [];
  const finished = new Set<string>();
  const chain: string[] = [];
  const follow = (file: string) => {
    chain.push(file);
    for (const next of graph.get(file) ?? []) {
      if (chain.includes(next)) loops.push([...chain.slice(chain.indexOf(next)), next].join(' → '));
      else if (!finished.has(next)) follow(next);
    }
    chain.pop();
    finished.add(file);
  };
  for (const file of [...graph.keys()].sort()) if (!finished.has(file)) follow(file);
  return loops;
}

describe('imports', () => {
  it('find a loop, however long', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
    ]);
    expect(importLoops(graph)).toEqual(['a.ts → b.ts → c.ts → a.ts']);
    expect(importLoops(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toEqual([]);
  });

  it('form no loops in the project', () => {
    const graph = importGraph();
    expect(graph.get('local/realtime/socket.ts')).toContain('local/realtime/channel.ts');
    expect(importLoops(graph)).toEqual(KNOWN_LOOPS);
  });
});
