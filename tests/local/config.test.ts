import { jwtVerify } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_KEYS, loadConfig, signLegacyApiKey } from '../../local/config.ts';

describe('local stack configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('signs the same anon and service_role keys as the Supabase CLI for its default secret', () => {
    expect(signLegacyApiKey(DEFAULT_KEYS.jwtSecret, 'anon')).toBe(DEFAULT_KEYS.anonKey);
    expect(signLegacyApiKey(DEFAULT_KEYS.jwtSecret, 'service_role')).toBe(DEFAULT_KEYS.serviceRoleKey);
  });

  it('reads ports and auth settings from supabase/config.toml', () => {
    const config = loadConfig({}, { toml: { api: { port: 60001 }, db: { port: 60002 }, auth: { jwt_expiry: 120, email: { enable_confirmations: true } } } });
    expect(config.apiPort).toBe(60001);
    expect(config.dbPort).toBe(60002);
    expect(config.auth.jwtExpiry).toBe(120);
    expect(config.auth.enableConfirmations).toBe(true);
  });

  it('mints anon and service_role keys for a JWT secret of your own', async () => {
    const secret = 'my-own-secret-that-is-at-least-32-characters';
    const config = loadConfig({}, { toml: { auth: { jwt_secret: secret } } });
    expect(config.jwtSecret).toBe(secret);
    expect(config.anonKey).not.toBe(DEFAULT_KEYS.anonKey);
    const { payload } = await jwtVerify(config.serviceRoleKey, new TextEncoder().encode(secret));
    expect(payload.role).toBe('service_role');
  });

  it('lets explicit overrides win over everything', () => {
    const config = loadConfig({ apiPort: 1234, auth: { refreshTokenReuseInterval: 1 } }, { toml: { api: { port: 60001 } } });
    expect(config.apiPort).toBe(1234);
    expect(config.auth.refreshTokenReuseInterval).toBe(1);
    expect(config.auth.minimumPasswordLength).toBe(6);
  });

  it('reads the environment it is given over supabase/config.toml', async () => {
    const secret = 'a-secret-from-the-environment-of-32-characters';
    const env = { STACK_API_PORT: '60003', STACK_DATA_DIR: '/tmp/stack-data', STACK_JWT_SECRET: secret, CORS_ALLOWED_ORIGINS: 'https://a.test, https://b.test' };
    const config = loadConfig({}, { toml: { api: { port: 60001 } }, env });
    expect(config.apiPort).toBe(60003);
    expect(config.dataDir).toBe('/tmp/stack-data');
    expect(config.corsOrigins).toEqual(['https://a.test', 'https://b.test']);
    const { payload } = await jwtVerify(config.anonKey, new TextEncoder().encode(secret));
    expect(payload.role).toBe('anon');
  });

  it('leaves the process environment alone unless it is given', () => {
    vi.stubEnv('STACK_API_PORT', '60004');
    vi.stubEnv('STACK_JWT_SECRET', 'a-secret-from-the-shell-of-at-least-32-chars');
    vi.stubEnv('CORS_ALLOWED_ORIGINS', 'https://shell.test');
    const config = loadConfig({}, { toml: {} });
    expect(config.apiPort).toBe(54321);
    expect(config.jwtSecret).toBe(DEFAULT_KEYS.jwtSecret);
    expect(config.corsOrigins).toEqual(['*']);
    expect(loadConfig({}, { toml: {}, env: process.env }).apiPort).toBe(60004);
  });
});
