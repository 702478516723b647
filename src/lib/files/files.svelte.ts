/**
 * Files shared with the room. Metadata lives in the room document (`protocol/room-doc.ts` files
 * map); bytes live in IndexedDB (`fileChunks`) and arrive over bulk data channels from peers or
 * from the hub. (The transfer engine lands in the next commits.)
 */
import type * as Y from 'yjs';
import type { DataConnection } from 'peerjs';
import { readFiles, files, type FileMeta } from '../../../protocol/room-doc.ts';

export interface FilesDeps {
  doc: Y.Doc;
  deviceId: string;
  deviceName: () => string;
  /** Hub origin (same as the page's) and a valid signaling credential for hub file requests. */
  hubOrigin: string;
  credential: () => Promise<{ peerId: string; token: string }>;
  /** Bulk channels to authenticated peers (null when the peer is not connected). */
  openBulk: (peerId: string, label: string) => DataConnection | null;
  openPeers: () => string[];
}

export class FilesState {
  list = $state<FileMeta[]>([]);
  private readonly refresh = () => (this.list = readFiles(this.deps.doc));

  constructor(private readonly deps: FilesDeps) {
    this.refresh();
    files(deps.doc).observe(this.refresh);
  }

  /** An authenticated peer opened a bulk channel to us. */
  acceptBulk(_from: string, _label: string, conn: DataConnection): void {
    conn.close();
  }

  /** A peer's session opened or closed (resume transfers, move to another source). */
  peerChanged(_peerId: string, _open: boolean): void {}

  /** Retention removed these files from the room: drop their bytes here too. */
  async forget(_fileIds: string[]): Promise<void> {}

  dispose(): void {
    files(this.deps.doc).unobserve(this.refresh);
  }
}
