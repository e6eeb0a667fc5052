import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'sdk/**/*.test.ts'],
    // Type tests (`*.test-d.ts`, expectTypeOf) are checked by tsc and reported like the others;
    // their own tsconfig keeps the check to them and what they import.
    typecheck: { enabled: true, include: ['tests/**/*.test-d.ts'], tsconfig: 'tsconfig.typecheck.json' },
    globalSetup: ['tests/setup/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
