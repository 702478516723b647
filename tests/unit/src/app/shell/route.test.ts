import { describe, expect, it } from 'vitest';
import { isRouteHash, parseRoute, routeHash } from '../../../../../src/app/shell/route.ts';

describe('routes in the fragment', () => {
  it('reads and writes #/id', () => {
    expect(parseRoute(routeHash('files'))).toBe('files');
    expect(parseRoute('#/scribe-2')).toBe('scribe-2');
  });
  it('is never a join link, nor anything that could hold a secret', () => {
    for (const h of ['#r=abc&s=def', '#/files?s=x', '#/a/b', '#/', '#', '', '#/Files', `#/${'a'.repeat(40)}`]) expect(parseRoute(h), h).toBeNull();
    expect(isRouteHash('#r=abc&s=def')).toBe(false);
    expect(isRouteHash('#/notes')).toBe(true);
    expect(isRouteHash('')).toBe(true);
  });
});
