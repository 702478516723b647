/**
 * Text from a photo: a whiteboard or a page photographed with this device's camera (or a picked
 * image) is read in this device's inference worker (runtime.ocr), and becomes a note in the room's
 * memory, with the photo shared as a file and both pinned on the board. The photo's pixels go to
 * the worker only; the photo itself is shared with the room like any file, because the person
 * asked for it to be.
 */
import { NOTE_TITLE_CHARS } from '../../protocol/room-doc.ts';
import { OsmoseError } from '../../protocol/errors.ts';

export interface PhotoNoteDeps {
  /** The photo's text (photoPixels + runtime.ocr.read in the app). */
  read(photo: Blob): Promise<{ text: string; lines: number }>;
  /** Shares the photo with the room; its file id. */
  share(photo: File): Promise<string>;
  createNote(title: string, body: string): string;
  pin(kind: 'note' | 'file', ref: string): void;
}

export interface PhotoNote {
  noteId: string;
  fileId: string;
  text: string;
  lines: number;
  /** From the photo to the pinned note (reading, sharing, writing), ms. */
  ms: { read: number; total: number };
}

/** The note's title: the text's first line, or the photo's name when no text was found. */
export function noteTitle(text: string, photoName: string): string {
  const first = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0);
  const title = first ? first : `Photo ${photoName}`;
  return title.length > 60 ? `${title.slice(0, 59)}…` : title.slice(0, NOTE_TITLE_CHARS);
}

export async function photoToNote(photo: File, deps: PhotoNoteDeps, now: () => number = () => performance.now()): Promise<PhotoNote> {
  if (!photo.type.startsWith('image/') && photo.type !== '') throw new OsmoseError('bad-request', 'choose a photo (an image file)');
  const t0 = now();
  // The photo is hashed and stored for sharing while its text is read.
  const sharing = deps.share(photo);
  sharing.catch(() => undefined);
  const { text, lines } = await deps.read(photo);
  const read = now() - t0;
  const fileId = await sharing;
  const body = text.trim() ? `${text.trim()}\n\n(read from the photo “${photo.name}”, pinned beside this note)` : `(no text was found in the photo “${photo.name}”)`;
  const noteId = deps.createNote(noteTitle(text, photo.name), body);
  deps.pin('note', noteId);
  deps.pin('file', fileId);
  return { noteId, fileId, text, lines, ms: { read, total: now() - t0 } };
}
