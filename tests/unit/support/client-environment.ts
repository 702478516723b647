/**
 * The `runes` project's environment (vitest.config.ts): Node, but modules are transformed as
 * vite's client environment does it, so that `*.svelte.ts` rune modules compile for the browser
 * (where `$effect` runs) rather than for the server.
 */
import type { Environment } from 'vitest/environments';

export default {
  name: 'node-client',
  viteEnvironment: 'client',
  setup() {
    return { teardown() {} };
  },
} satisfies Environment;
