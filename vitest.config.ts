import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Two projects. `node`: everything but the rune modules' tests. `runes`: `*.svelte.test.ts`, the
 * tests of `*.svelte.ts` modules (the app's composition root, the room's memory…): those modules
 * are compiled for the client with the browser condition, or `$effect` and `$derived` would not
 * run (FIELD-NOTES); IndexedDB comes from fake-indexeddb.
 */
const shared = { testTimeout: 30_000 };

export default defineConfig({
  define: { __OSMOSE_DIAGNOSTICS__: 'false' },
  test: {
    projects: [
      { extends: true, test: { ...shared, environment: 'node', name: 'node', include: ['tests/unit/**/*.test.ts'], exclude: ['tests/unit/**/*.svelte.test.ts'] } },
      {
        extends: true,
        plugins: [svelte()],
        // `import { flushSync } from 'svelte'` must be the client runtime the rune modules use.
        resolve: { alias: [{ find: /^svelte$/, replacement: fileURLToPath(new URL('./node_modules/svelte/src/index-client.js', import.meta.url)) }] },
        test: {
          ...shared,
          name: 'runes',
          environment: './tests/unit/support/client-environment.ts',
          include: ['tests/unit/**/*.svelte.test.ts'],
          setupFiles: ['tests/unit/support/runes-setup.ts'],
          // Svelte's runtime goes through vite too, so that it resolves to its client build.
          server: { deps: { inline: [/\/svelte\//] } },
        },
      },
    ],
  },
});
