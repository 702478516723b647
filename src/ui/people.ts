/** Faces for people in the room (the app's top bar, the wall display): initials and a colour per device, the same on every screen. */

/** Up to two initials from a name ("Ada Lovelace" → "AL", "bob" → "B"). */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]!, words[words.length - 1]!].map((w) => [...w][0]) : [...(words[0] ?? '?')].slice(0, 1);
  return letters.join('').toLocaleUpperCase();
}

/** A hue from the device id (FNV-1a), so a person keeps their colour across devices and reloads. */
export function hue(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % 360;
}

/** The first word of a name: what fits next to the faces. */
export function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] || name;
}

/** "You and Bob", "You, Bob and Carol", "You, Bob, Carol and 3 others". */
export function whoIsHere(names: string[], shown = 2): string {
  if (names.length === 0) return 'Only you';
  if (names.length === 1) return `You and ${names[0]}`;
  const head = names.slice(0, shown);
  const rest = names.length - head.length;
  return rest > 0 ? `You, ${head.join(', ')} and ${rest} ${rest === 1 ? 'other' : 'others'}` : `You, ${head.slice(0, -1).join(', ')} and ${head[head.length - 1]}`;
}
