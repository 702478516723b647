/**
 * Which DNS names the room CA may be constrained to. A permitted subtree covers the name and every
 * name under it, so a single label (`dev`, `app`, `cafe`: public top-level domains) would let the
 * CA sign every website in that domain. Only `localhost` may be a single label; the hub's own
 * `<host>.local` and the names an operator gives (`--hostname`, two labels or more) are fine.
 */
export function isSafeCaName(name: string): boolean {
  return name === 'localhost' || name.includes('.');
}
