/**
 * Where the app is, in the address bar's fragment: `#/files`. Nothing of it goes to a server (a
 * fragment never does), so it works offline, survives a reload, and the browser's back button
 * walks it. A join link's fragment (`#r=…&s=…`) is never a route: the app reads it and clears it.
 */

const ROUTE = /^#\/([a-z][a-z0-9-]{0,31})$/;

/** The view id in a fragment, or null when the fragment is not a route. */
export function parseRoute(hash: string): string | null {
  return ROUTE.exec(hash)?.[1] ?? null;
}

export function routeHash(id: string): string {
  return `#/${id}`;
}

/** A fragment the app may leave in the address bar: empty, or a route (never a join secret). */
export function isRouteHash(hash: string): boolean {
  return hash === '' || hash === '#' || parseRoute(hash) !== null;
}
