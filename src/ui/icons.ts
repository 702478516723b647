/**
 * Line icons for the shell's tabs, drawn for this app (24×24, stroked with the text colour): each
 * is a list of SVG path data. A feature picks one, or brings its own list, in its registry entry.
 */
export type IconPaths = readonly string[];

/** A circle as path data. */
const circle = (cx: number, cy: number, r: number) => `M${cx - r} ${cy}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`;

export const ICONS = {
  people: [circle(9, 8, 3.5), 'M2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6', circle(17, 8.5, 2.5), 'M16.5 13.5c2.9.2 5 2.4 5 5.5'],
  chat: ['M20.5 11.5a8.5 8 0 0 1-12.3 7.2L3.5 20l1.3-4A8.5 8 0 1 1 20.5 11.5z', 'M8.5 10h7M8.5 13.5h4.5'],
  note: ['M6 3h8.5L19 7.5V21H6z', 'M14 3v5h5', 'M9 12.5h7M9 16.5h7'],
  file: ['M20 11.5l-8 8a5 5 0 0 1-7.1-7.1l8.5-8.5a3.5 3.5 0 0 1 5 5L10 17.4a2 2 0 0 1-2.8-2.8l7.3-7.3'],
  pin: ['M9 3.5h6', 'M10 3.5v5.5l-3.5 4h11L14 9V3.5', 'M12 13v7.5'],
  mic: ['M9 6a3 3 0 0 1 6 0v5a3 3 0 0 1-6 0z', 'M5.5 11a6.5 6.5 0 0 0 13 0', 'M12 17.5V21'],
  link: ['M10 13.5a4 4 0 0 0 5.7.3l3-3a4 4 0 0 0-5.7-5.7l-1.2 1.2', 'M14 10.5a4 4 0 0 0-5.7-.3l-3 3a4 4 0 0 0 5.7 5.7l1.2-1.2'],
  camera: ['M3 8.5A2 2 0 0 1 5 6.5h2.5L9 4.5h6l1.5 2H19a2 2 0 0 1 2 2V18a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z', circle(12, 13, 3.5)],
  text: ['M4 6h16', 'M4 11h16', 'M4 16h10'],
  info: [circle(12, 12, 9), 'M12 11v6', circle(12, 7.6, 0.4)],
  more: [circle(5, 12, 1.1), circle(12, 12, 1.1), circle(19, 12, 1.1)],
} as const satisfies Record<string, IconPaths>;
