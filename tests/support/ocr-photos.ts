/**
 * The photos of text the OCR accuracy test and the benchmark read (recipes for ocr-fixtures.ts).
 * Printed text: four fonts, 14-32 px, dark on light. Whiteboards: full 12 MP phone frames
 * (4032×3024), a marker-like font in marker colours on an unevenly lit board, tilted, seen at an
 * angle, slightly out of focus, with sensor noise and JPEG compression.
 * Text stays within the recognition model's dictionary (ppocr_keys_v1 has all of ASCII, but no
 * ç ù ô ö ß ñ € £).
 */
import type { TextPhoto } from './ocr-fixtures.ts';

const MEETING = [
  'Agenda for the weekly review, room 4B',
  'Start at 09:30 sharp; coffee is provided.',
  '1) Budget update: 12,500 spent of 40,000',
  '2) Hiring plan for Q3 (two engineers)',
  '3) Customer feedback from the pilot',
  'Questions? Write to ops@example.org',
];

const PANGRAMS = [
  'The quick brown fox jumps over the lazy dog.',
  'Pack my box with five dozen liquor jugs!',
  'How vexingly quick daft zebras jump.',
  'Sphinx of black quartz, judge my vow 1234567890',
];

const NOTICE = [
  'NOTICE TO ALL VISITORS',
  'Please sign in at the front desk',
  'Wi-Fi: guest-net / password on card',
  'Fire exit: follow the green signs',
];

const PROSE = [
  'Minutes of the design meeting held on 3 March.',
  'Present: Anil, Beatrice, Chen, Dolores and Emeka.',
  'The team agreed to keep the hub on the local network',
  'and to store nothing in the cloud. Anil will draft the',
  'privacy notice by Friday; Chen reviews it on Monday.',
  'Open points: battery life on phones, the projector',
  'in room 2, and a larger whiteboard for the studio.',
];

const PLAN = ['Sprint 14 plan', 'Ship offline mode', 'Fix login on Android', 'Demo Friday 3pm', 'Owner: Maria + Tom'];
const RETRO = ['Retro', 'Keep: daily standup', 'Drop: long email threads', 'Try: pair programming', 'Ask Sam about 2FA'];

/** Sheet-filling pages of printed text, at screen resolution (one CSS pixel per pixel). */
export const PRINTED: readonly TextPhoto[] = [
  { name: 'print-sans-18', lines: MEETING, font: 'Liberation Sans', sizePx: 18, colors: ['#111'], background: '#fff', surround: null, width: 560, height: 300, scale: 1, format: 'png' },
  { name: 'print-serif-22', lines: PANGRAMS, font: 'Liberation Serif', sizePx: 22, colors: ['#222'], background: '#fbf8ef', surround: null, width: 640, height: 240, scale: 1, format: 'png' },
  { name: 'print-mono-16', lines: NOTICE, font: 'Liberation Mono', sizePx: 16, colors: ['#000'], background: '#fff', surround: null, width: 460, height: 180, scale: 1, format: 'png' },
  { name: 'print-bold-32', lines: NOTICE, font: 'DejaVu Sans', weight: 700, sizePx: 32, colors: ['#1a1a1a'], background: '#eeeeee', surround: null, width: 900, height: 330, scale: 1, format: 'jpeg', quality: 90 },
  { name: 'print-small-14', lines: PROSE, font: 'DejaVu Serif', sizePx: 14, colors: ['#202020'], background: '#fff', surround: null, width: 560, height: 240, scale: 1, format: 'png' },
  // Tight lines (line height 1.15): boxes grown too far would take in the neighbouring lines.
  { name: 'print-dense-15', lines: PROSE, font: 'Liberation Sans', sizePx: 15, lineHeight: 1.15, colors: ['#000'], background: '#fff', surround: null, width: 520, height: 180, scale: 1, format: 'png' },
  { name: 'print-narrow-20', lines: MEETING, font: 'Liberation Sans Narrow', sizePx: 20, colors: ['#303030'], background: '#f6f6f6', surround: null, width: 520, height: 280, scale: 1, format: 'jpeg', quality: 80 },
];

/** An A4-like page, printed and photographed flat (about 190 dpi): the benchmark's printed page. */
export const PAGE: TextPhoto = {
  name: 'page-a4',
  lines: [...PROSE, '', ...MEETING, '', ...PANGRAMS, '', ...PROSE.slice(0, 5)],
  font: 'Liberation Serif', sizePx: 16, lineHeight: 1.6, colors: ['#1b1b1b'], background: '#fdfdfb', surround: null,
  width: 794, height: 1123, scale: 2, format: 'jpeg', quality: 88,
};

/** The same page photographed on a desk with a phone: 3024×4032, tilted, a little out of focus. */
export const PAGE_PHOTO: TextPhoto = {
  ...PAGE, name: 'page-photo', surround: '#6b5a4a', width: 1512, height: 2016, scale: 2, sizePx: 18,
  transform: 'perspective(3000px) rotateX(4deg) rotate(-1.5deg)', blurPx: 0.5, noise: 30, quality: 85,
};

const BOARD = 'radial-gradient(ellipse at 30% 25%, #fbfbf8 0%, #eceeed 55%, #d9dcdc 100%)';

/** 4032×3024 JPEG frames of a whiteboard, as a phone takes them. */
export const WHITEBOARDS: readonly TextPhoto[] = [
  {
    name: 'whiteboard-blue', lines: PLAN, font: 'Comic Neue', weight: 700, sizePx: 96, lineHeight: 1.5,
    colors: ['#1d3fb8'], background: BOARD, surround: '#a89f93', width: 2016, height: 1512, scale: 2,
    transform: 'perspective(2400px) rotateY(7deg) rotate(-2.5deg)', blurPx: 0.6, noise: 40, format: 'jpeg', quality: 85,
  },
  {
    name: 'whiteboard-mixed', lines: RETRO, font: 'Comic Neue', weight: 400, sizePx: 84, lineHeight: 1.55,
    colors: ['#111', '#b3261e', '#1b7a3a'], background: BOARD, surround: '#7d8a96', width: 2016, height: 1512, scale: 2,
    transform: 'perspective(2400px) rotateX(5deg) rotate(1.5deg)', blurPx: 0.8, noise: 48, format: 'jpeg', quality: 80,
  },
];

export const ALL_PHOTOS: readonly TextPhoto[] = [...PRINTED, PAGE, PAGE_PHOTO, ...WHITEBOARDS];
