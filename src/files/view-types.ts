/** What the files view shows about each file on this device (FilesState's reactive state). */
import type { WireError } from '../../protocol/errors.ts';
import type { SendState } from './outgoing.ts';

export type LocalState = 'remote' | 'downloading' | 'waiting' | 'complete' | 'cancelled' | 'error';

export interface Progress {
  stored: number;
  total: number;
}

/** This device's side of one file. */
export interface FileLocal {
  state: LocalState;
  stored: number;
  total: number;
  error: WireError | null;
  cancelledBy: 'me' | 'sender' | null;
  /** Outgoing transfers: receiver → what it acknowledged storing. */
  sending: Record<string, Progress & { state: SendState }>;
  /** Chunks that arrived damaged (wrong SHA-256), were dropped and fetched again. */
  repaired: number;
  /** The hub's copy, when this device uploads it. */
  hub: (Progress & { state: 'uploading' | 'done' | 'error'; error: WireError | null }) | null;
}

/** A file being read and stored before it is shared with the room. */
export interface Preparing {
  id: string;
  name: string;
  size: number;
  done: number;
  error: WireError | null;
}
