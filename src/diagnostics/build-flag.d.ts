/**
 * True in diagnostics builds only (`vite build --mode diagnostics`: `npm test`, `npm run test:e2e`,
 * `npm run bench`), false in the build people run. Replaced by a literal at build time (vite.config.ts
 * `define`), so a shipped bundle does not contain what it guards (tests/unit/build/shipped.test.ts).
 */
declare const __OSMOSE_DIAGNOSTICS__: boolean;
