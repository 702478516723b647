/*
 * Imported by the generated service worker (vite.config.ts, workbox.importScripts). Another app
 * shares files with Osmose: the OS POSTs them here as multipart/form-data (manifest share_target).
 * Keep them in a Cache (on disk, not in memory) and open the app, which shares them with the room
 * (src/files/share-target.ts). Registered before Workbox's own listeners, so it answers first.
 */
const SHARE_CACHE = 'osmose-share-target';

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'POST' || url.origin !== self.location.origin || url.pathname !== '/share-target') return;
  event.respondWith(
    (async () => {
      try {
        const form = await event.request.formData();
        const cache = await caches.open(SHARE_CACHE);
        let n = 0;
        for (const file of form.getAll('files')) {
          if (typeof file === 'string') continue;
          const headers = { 'content-type': file.type || 'application/octet-stream', 'x-file-name': encodeURIComponent(file.name || 'shared file') };
          await cache.put(new Request(`/share-target/${Date.now()}-${n++}`), new Response(file, { headers }));
        }
      } catch (err) {
        console.error('[osmose] share target failed', err);
      }
      // The app opens on its Files page (#/files), where the person sees the file go to the room.
      return Response.redirect('/?shared=1#/files', 303);
    })(),
  );
});
