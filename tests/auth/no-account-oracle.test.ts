// A failed sign-in costs the same work whether or not the account exists: for an unknown e-mail (or
// an account without a password) Auth still runs one bcrypt compare at the cost of real hashes, so
// the answer time tells nothing. Checked by recording the compares the real hasher runs, not by
// timing. Skipped against an external stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BCRYPT_COST, createPasswordHasher, type PasswordHasher } from '../../local/auth/passwords.ts';
import { client, createUser, database, stack, standaloneAuth, uniqueEmail, type Target } from './helpers.ts';

interface Compare {
  hash: string;
  result: boolean;
}

/** The real bcrypt hasher, recording each compare it runs and what it answered. */
function recordingHasher(): PasswordHasher & { compares: Compare[] } {
  const real = createPasswordHasher();
  const compares: Compare[] = [];
  return {
    compares,
    hash: (password) => real.hash(password),
    async verify(password, hash) {
      const result = await real.verify(password, hash);
      compares.push({ hash, result });
      return result;
    },
    close: () => real.close(),
  };
}

const costOf = (hash: string) => Number(/^\$2[aby]\$(\d\d)\$/.exec(hash)?.[1]);

describe.skipIf(stack.external)('no account oracle at sign-in', () => {
  const hasher = recordingHasher();
  const sql = database();
  let target: Target;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ target, stop } = await standaloneAuth({}, { passwords: hasher }));
  });
  afterAll(async () => {
    await stop?.();
    await sql.end();
  });

  async function signInCompares(email: string): Promise<Compare[]> {
    const before = hasher.compares.length;
    const { error } = await client({ target }).auth.signInWithPassword({ email, password: 'a-wrong-guess' });
    expect(error?.code).toBe('invalid_credentials');
    return hasher.compares.slice(before);
  }

  it('an unknown e-mail spends one full-cost bcrypt compare, like a wrong password for a real account', async () => {
    const user = await createUser('oracle', target);
    const known = await signInCompares(user.email);
    const unknown = await signInCompares(uniqueEmail('nobody'));
    expect(known).toHaveLength(1);
    expect(unknown).toHaveLength(1);
    expect(costOf(unknown[0]!.hash)).toBe(BCRYPT_COST);
    expect(costOf(unknown[0]!.hash)).toBe(costOf(known[0]!.hash));
    expect(unknown[0]!.result).toBe(false);
  });

  it('so does an account without a password', async () => {
    const user = await createUser('oracle-nopw', target);
    await sql`update auth.users set encrypted_password = '' where id = ${user.id}`;
    const compares = await signInCompares(user.email);
    expect(compares).toHaveLength(1);
    expect(costOf(compares[0]!.hash)).toBe(BCRYPT_COST);
    expect(compares[0]!.result).toBe(false);
  });
});
