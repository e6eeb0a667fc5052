// `npm run test:db`: boots a throw-away PostgreSQL 17, applies the bootstrap, migrations and seed
// the way the local stack does, installs pgTAP, and runs pg_prove over supabase/tests/database as
// `postgres`, which is no superuser there, exactly as `supabase test db` does on a Supabase stack.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../local/config.ts';
import { connect, installPgTap, PGTAP_MISSING, roleUrl, startThrowawayDatabase, SUPERUSER } from '../local/db.ts';
import { maintainMessagePartitionsAsRealtime } from '../local/realtime/store.ts';

const testsDir = path.join(ROOT, 'supabase', 'tests', 'database');
const files = (await readdir(testsDir)).filter((f) => f.endsWith('.test.sql')).sort();
if (!(await installPgTap())) {
  console.error(PGTAP_MISSING);
  process.exit(1);
}

const db = await startThrowawayDatabase('pgtap');
const port = new URL(db.url).port;
let code: number;
try {
  // What the platform does for a Supabase project: pgTAP is installed by the superuser (hosted lets
  // postgres create it through supautils), and Realtime keeps today's partition of realtime.messages.
  const superuser = connect(roleUrl(db.url, SUPERUSER));
  await superuser`create extension if not exists pgtap with schema extensions`;
  await superuser.end();
  await maintainMessagePartitionsAsRealtime(db.url);
  code = await new Promise<number>((resolve, reject) => {
    const child = spawn(
      'pg_prove',
      ['--host', '127.0.0.1', '--port', port, '--username', 'postgres', '--dbname', 'postgres', '--ext', '.sql', ...files.map((f) => path.join(testsDir, f))],
      { stdio: 'inherit', env: { ...process.env, PGPASSWORD: 'postgres', PGOPTIONS: '--search_path=public,extensions' } },
    );
    child.on('error', (err) => reject(new Error(`cannot run pg_prove (${err.message}). ${PGTAP_MISSING}`)));
    child.on('close', (exit) => resolve(exit ?? 1));
  });
} finally {
  await db.stop();
}
process.exit(code);
