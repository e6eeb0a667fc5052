import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KEYS, loadConfig, signLegacyApiKey } from '../../local/config.ts';

describe('local stack configuration', () => {
  it('signs the same anon and service_role keys as the Supabase CLI for its default secret', () => {
    expect(signLegacyApiKey(DEFAULT_KEYS.jwtSecret, 'anon')).toBe(DEFAULT_KEYS.anonKey);
    expect(signLegacyApiKey(DEFAULT_KEYS.jwtSecret, 'service_role')).toBe(DEFAULT_KEYS.serviceRoleKey);
  });

  it('reads ports and auth settings from supabase/config.toml', () => {
    const config = loadConfig({}, { api: { port: 60001 }, db: { port: 60002 }, auth: { jwt_expiry: 120, email: { enable_confirmations: true } } });
    expect(config.apiPort).toBe(60001);
    expect(config.dbPort).toBe(60002);
    expect(config.auth.jwtExpiry).toBe(120);
    expect(config.auth.enableConfirmations).toBe(true);
  });

  it('mints anon and service_role keys for a JWT secret of your own', async () => {
    const secret = 'my-own-secret-that-is-at-least-32-characters';
    const config = loadConfig({}, { auth: { jwt_secret: secret } });
    expect(config.jwtSecret).toBe(secret);
    expect(config.anonKey).not.toBe(DEFAULT_KEYS.anonKey);
    const { payload } = await jwtVerify(config.serviceRoleKey, new TextEncoder().encode(secret));
    expect(payload.role).toBe('service_role');
  });

  it('lets explicit overrides win over everything', () => {
    const config = loadConfig({ apiPort: 1234, auth: { refreshTokenReuseInterval: 1 } }, { api: { port: 60001 } });
    expect(config.apiPort).toBe(1234);
    expect(config.auth.refreshTokenReuseInterval).toBe(1);
    expect(config.auth.minimumPasswordLength).toBe(6);
  });
});
