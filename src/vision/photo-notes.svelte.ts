/**
 * "Text from a photo" on this device: the view's state around photo-note.ts, with the app's
 * reader (photoPixels in the page, runtime.ocr.read in the worker), files and memory.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { photoToNote, type PhotoNote, type PhotoNoteDeps } from './photo-note.ts';

export type PhotoNoteState = 'idle' | 'reading' | 'done' | 'error';

export class PhotoNotes {
  state = $state<PhotoNoteState>('idle');
  error = $state<string | null>(null);
  last = $state.raw<PhotoNote | null>(null);
  /** Notes made from photos on this device, end to end times (ms), newest last. */
  readonly times: number[] = [];

  constructor(private readonly deps: PhotoNoteDeps & { warm(): void }) {}

  /** The picker or the camera opened: load the models meanwhile. */
  warm(): void {
    this.deps.warm();
  }

  async take(photo: File): Promise<void> {
    if (this.state === 'reading') return;
    this.state = 'reading';
    this.error = null;
    try {
      this.last = await photoToNote(photo, this.deps);
      this.times.push(this.last.ms.total);
      this.state = 'done';
    } catch (err) {
      this.error = err instanceof OsmoseError ? err.message : String((err as Error)?.message ?? err);
      this.state = 'error';
    }
  }
}
