// The repository stands on its own: no file points at documents that are not in it (such as a
// platform contract once kept beside the project and cited by its section numbers). What the code
// relies on of Supabase is written down in docs/PLATFORM.md; comments point there.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../local/config.ts';

const OUTSIDE_CITATION = [
  /\.\.\/shared\b/,
  /supabase-platform-contract/,
  /\breference (section )?(0\.\d|[A-F]\b|[A-F]\.\d)/,
  /\bchecklist F ?\.?\d/,
];

/** Text files git tracks, but for the lock file and this test (which names what it looks for). */
function trackedTextFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0');
  const skipped = new Set(['package-lock.json', path.relative(ROOT, import.meta.filename)]);
  return listed.filter((file) => /\.(ts|sql|md|toml|ya?ml|sh|json)$/.test(file) && !skipped.has(file));
}

describe('the repository', () => {
  it('cites no document outside it', () => {
    const citations = trackedTextFiles().flatMap((file) =>
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (OUTSIDE_CITATION.some((pattern) => pattern.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(citations).toEqual([]);
  });
});
