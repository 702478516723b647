import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { modelsPlugin } from './scripts/vite-plugin-models.ts';

/**
 * `vite build` makes the app people run (dist/). `vite build --mode diagnostics` makes the one tests
 * and benchmarks drive (dist-diagnostics/): the same app plus src/diagnostics/ (the window.osmose*
 * handles and their hooks), switched on by `__OSMOSE_DIAGNOSTICS__`. A separate folder, so that a
 * hub never serves a diagnostics build by mistake.
 */
export const DIAGNOSTICS_MODE = 'diagnostics';

// The app shell is precached; the hub's API, sockets and hub-only pages are never served from
// the cache. Large assets (models, wasm, later) go in their own runtime caches, not here.
export default defineConfig(({ mode }) => ({
  define: { __OSMOSE_DIAGNOSTICS__: JSON.stringify(mode === DIAGNOSTICS_MODE) },
  plugins: [
    svelte(),
    // Models and onnxruntime-web's files, copied from node_modules to /models/ and /ort/.
    modelsPlugin(),
    VitePWA({
      strategies: 'generateSW',
      registerType: 'autoUpdate',
      injectRegister: false,
      includeAssets: ['icons/icon.svg'],
      manifest: {
        name: 'Osmose',
        short_name: 'Osmose',
        description: 'The room you are in, as one computer.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#f4f5f7',
        theme_color: '#2a6fdb',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
        // Phones list Osmose in their share sheet; public/share-target-sw.js receives the POST.
        share_target: {
          action: '/share-target',
          method: 'POST',
          enctype: 'multipart/form-data',
          params: { files: [{ name: 'files', accept: ['*/*'] }] },
        },
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        globIgnores: ['display.html', 'onboarding.html'],
        navigateFallback: '/index.html',
        importScripts: ['share-target-sw.js'],
        navigateFallbackDenylist: [/^\/api\//, /^\/files\//, /^\/share-target/, /^\/display/, /^\/onboarding/, /^\/signal\//, /^\/room/, /^\/ca\./, /^\/guest/],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
        // ORT's wasm is too big for the precache: kept once fetched. Models go in the same cache,
        // put there by the inference worker only after their SHA-256 checks out (model-bytes.ts).
        runtimeCaching: [
          {
            urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.startsWith('/ort/'),
            handler: 'CacheFirst',
            options: { cacheName: 'osmose-models', cacheableResponse: { statuses: [200] } },
          },
        ],
      },
    }),
  ],
  build: {
    outDir: mode === DIAGNOSTICS_MODE ? 'dist-diagnostics' : 'dist',
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: { main: 'index.html', display: 'display.html', onboarding: 'onboarding.html' },
    },
  },
  worker: { format: 'es' },
}));
