// `npm run example`: the example page on http://127.0.0.1:5173 with the SDK from its sources (the
// browser suite builds it with the packaged SDK instead).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  resolve: { alias: { '@tekton/studio-sdk': fileURLToPath(new URL('../../sdk/src/index.ts', import.meta.url)) } },
  server: { host: '127.0.0.1', port: 5173 },
});
