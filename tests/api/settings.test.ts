// The function's settings: parsed with zod at boot, a bad value stops the function with the
// variable's name instead of falling back silently; the old RATE_LIMIT_*_PER_MINUTE names still work.
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../functions/_shared/config.ts';
import { startApiFunction } from './helpers.ts';

const from = (env: Record<string, string>) => (name: string) => env[name];

describe('function settings', () => {
  it('defaults to Supabase\'s statement timeouts and the documented limits', () => {
    const config = readConfig(from({}));
    expect(config.rateLimits).toEqual({ read: 1200, write: 300, auth: 30, windowSeconds: 60, signInPerAccount: 10, signInWindowSeconds: 900 });
    expect(config.statementTimeouts).toEqual({ anon: 3000, authenticated: 8000, service_role: 8000 });
    expect(config).toMatchObject({ dbPoolSize: 8, maxConcurrentPerClient: 4, maxConcurrentAnonymous: 4, trustedProxyHops: 1, corsOrigins: ['*'], dbApplicationName: 'tekton-api' });
    // Half the pool, whatever its size.
    expect(readConfig(from({ DB_POOL_SIZE: '3' })).maxConcurrentAnonymous).toBe(1);
  });

  it('reads what Supabase gives a function: key lists, the JWKS, the allow-list', () => {
    const config = readConfig(from({
      SUPABASE_URL: 'https://project.supabase.co/',
      SUPABASE_PUBLISHABLE_KEYS: '{"default":"sb_publishable_a","web":"sb_publishable_b"}',
      SUPABASE_SECRET_KEYS: 'sb_secret_x',
      SUPABASE_JWKS: '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}',
      CORS_ALLOWED_ORIGINS: 'https://studio.example/, http://localhost:5173',
      TRUSTED_PROXY_HOPS: '0',
    }));
    expect(config).toMatchObject({
      supabaseUrl: 'https://project.supabase.co',
      publishableKeys: ['sb_publishable_a', 'sb_publishable_b'],
      secretKeys: ['sb_secret_x'],
      jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
      corsOrigins: ['https://studio.example', 'http://localhost:5173'],
      trustedProxyHops: 0,
    });
  });

  it('refuses a bad value, naming every variable at fault (nothing falls back silently)', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ RATE_LIMIT_READ_PER_WINDOW: 'lots' }, /RATE_LIMIT_READ_PER_WINDOW: must be a whole number/],
      [{ DB_POOL_SIZE: '0' }, /DB_POOL_SIZE: must be at least 1/],
      [{ MAX_CONCURRENT_REQUESTS_PER_CLIENT: '2.5' }, /MAX_CONCURRENT_REQUESTS_PER_CLIENT/],
      [{ TRUSTED_PROXY_HOPS: '-1' }, /TRUSTED_PROXY_HOPS/],
      [{ DB_STATEMENT_TIMEOUT_ANON_MS: '3s' }, /DB_STATEMENT_TIMEOUT_ANON_MS/],
      [{ SUPABASE_JWKS: '{"keys":' }, /SUPABASE_JWKS: must be JSON/],
      [{ SUPABASE_PUBLISHABLE_KEYS: '{"default":1}' }, /SUPABASE_PUBLISHABLE_KEYS/],
      [{ CORS_ALLOWED_ORIGINS: 'studio.example' }, /CORS_ALLOWED_ORIGINS.*must be \* or an origin/],
      [{ CORS_ALLOWED_ORIGINS: 'https://studio.example/app' }, /CORS_ALLOWED_ORIGINS/],
      [{ SUPABASE_DB_URL: 'mysql://db.example/app' }, /SUPABASE_DB_URL: must be a postgresql:\/\/ URL/],
      [{ SUPABASE_URL: 'not a url' }, /SUPABASE_URL/],
    ];
    for (const [env, message] of cases) expect(() => readConfig(from(env)), JSON.stringify(env)).toThrow(message);
    const both = () => readConfig(from({ RATE_LIMIT_WINDOW_SECONDS: '0', RATE_LIMIT_SIGN_IN_PER_ACCOUNT: 'ten' }));
    expect(both).toThrow(ConfigError);
    expect(both).toThrow(/RATE_LIMIT_WINDOW_SECONDS[\s\S]*RATE_LIMIT_SIGN_IN_PER_ACCOUNT/);
  });

  it('still reads the deprecated RATE_LIMIT_*_PER_MINUTE names (limits per window), with a warning; the new name wins', () => {
    const warnings: string[] = [];
    const config = readConfig(from({ RATE_LIMIT_READ_PER_MINUTE: '7', RATE_LIMIT_WRITE_PER_MINUTE: '5', RATE_LIMIT_WRITE_PER_WINDOW: '6', RATE_LIMIT_AUTH_PER_MINUTE: '2' }), (w) => warnings.push(w));
    expect(config.rateLimits).toMatchObject({ read: 7, write: 6, auth: 2 });
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/RATE_LIMIT_READ_PER_MINUTE is deprecated.*RATE_LIMIT_READ_PER_WINDOW/);
    // A bad value is reported under the name it was given as.
    expect(() => readConfig(from({ RATE_LIMIT_AUTH_PER_MINUTE: 'x' }))).toThrow(/RATE_LIMIT_AUTH_PER_MINUTE: must be a whole number/);
  });

  it('a function given a bad setting does not start, and says which', async () => {
    await expect(startApiFunction({ RATE_LIMIT_WINDOW_SECONDS: 'sixty' }, () => {})).rejects.toThrow(/exited \(code 1\) before listening[\s\S]*RATE_LIMIT_WINDOW_SECONDS: must be a whole number/);
  }, 60_000);
});
