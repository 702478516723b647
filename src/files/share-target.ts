/**
 * Files shared to the installed app from another app (the PWA share target). The service worker
 * (public/share-target-sw.js) receives the POST, keeps the files in a Cache and sends the page to
 * `/?shared=1`; here the app takes them out and shares them with the room.
 */
export const SHARE_CACHE = 'osmose-share-target';

export async function takeSharedFiles(): Promise<File[]> {
  if (typeof caches === 'undefined') return [];
  const url = new URL(location.href);
  const flagged = url.searchParams.has('shared');
  if (flagged) {
    url.searchParams.delete('shared');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  // Look even without the flag: the app may have been closed before it picked them up.
  if (!(await caches.has(SHARE_CACHE))) return [];
  const cache = await caches.open(SHARE_CACHE);
  const out: File[] = [];
  for (const req of await cache.keys()) {
    const res = await cache.match(req);
    if (res) {
      const name = decodeURIComponent(res.headers.get('x-file-name') ?? 'shared file');
      // The Blob is backed by the cache's copy on disk, not the JS heap.
      out.push(new File([await res.blob()], name, { type: res.headers.get('content-type') ?? '' }));
    }
    await cache.delete(req);
  }
  return out;
}
