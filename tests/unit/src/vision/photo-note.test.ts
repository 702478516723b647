/** Text from a photo: the note, titled by its first line, and the photo, both pinned. */
import { describe, expect, it } from 'vitest';
import { noteTitle, photoToNote } from '../../../../src/vision/photo-note.ts';

describe('a photo to a note', () => {
  it('reads, shares the photo meanwhile, writes the note and pins both', async () => {
    const calls: string[] = [];
    const photo = new File([new Uint8Array(10)], 'board.jpg', { type: 'image/jpeg' });
    const r = await photoToNote(photo, {
      read: async () => (calls.push('read'), { text: 'Sprint 14 plan\nShip offline mode', lines: 2 }),
      share: async () => (calls.push('share'), 'file-1'),
      createNote: (title, body) => (calls.push(`note:${title}:${body.split('\n')[1]}`), 'note-1'),
      pin: (kind, ref) => void calls.push(`pin:${kind}:${ref}`),
    });
    expect(calls).toEqual(['share', 'read', 'note:Sprint 14 plan:Ship offline mode', 'pin:note:note-1', 'pin:file:file-1']);
    expect(r).toMatchObject({ noteId: 'note-1', fileId: 'file-1', lines: 2 });
  });

  it('a photo without text still becomes a note, titled by the photo; only images are taken', async () => {
    expect(noteTitle('  \n ', 'IMG_1.jpg')).toBe('Photo IMG_1.jpg');
    expect(noteTitle('x'.repeat(80), 'a.jpg').length).toBe(60);
    const deps = { read: async () => ({ text: '', lines: 0 }), share: async () => 'f', createNote: () => 'n', pin: () => undefined };
    await expect(photoToNote(new File(['%PDF'], 'a.pdf', { type: 'application/pdf' }), deps)).rejects.toMatchObject({ code: 'bad-request' });
  });
});
