/**
 * The data folder's files: private by default, written atomically.
 *
 * The data folder holds the room's secret, the CA's key, the room's history and the links'
 * secrets: no other local user may read any of it. `securePrivateTree` makes or tightens the
 * folder to 0700 and everything in it to 0700 (folders) / 0600 (files), and throws when it
 * cannot, so the hub refuses to start rather than serve from a folder others can read.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** The file-system calls `securePrivateTree` makes (tests make one of them fail). */
export interface TreeFs {
  lstatSync: (p: string) => fs.Stats;
  chmodSync: (p: string, mode: number) => void;
  readdirSync: (p: string) => string[];
}

export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(fs, fs.realpathSync(dir), true, true);
}

/**
 * Makes `dir` (following it, if it is a link the operator made) and tightens every folder and file
 * below it. Anything that is neither (a symbolic link inside, a socket) is refused: the hub makes
 * none, and it could not vouch for where it leads.
 */
export function securePrivateTree(dir: string, io: TreeFs = fs): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (err) {
    throw new Error(`data: cannot make the data folder ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const root = fs.realpathSync(dir);
  const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';
  const walk = (p: string, isDir: boolean) => {
    tighten(io, p, isDir, p === root);
    if (!isDir) return;
    let names: string[];
    try {
      names = io.readdirSync(p);
    } catch (err) {
      if (gone(err) && p !== root) return;
      throw new Error(`data: cannot read ${p} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const name of names) {
      const child = path.join(p, name);
      let st: fs.Stats;
      try {
        st = io.lstatSync(child);
      } catch (err) {
        // Removed meanwhile (an expired file's folder): nothing left to protect.
        if (gone(err)) continue;
        throw err;
      }
      if (st.isDirectory()) walk(child, true);
      else if (st.isFile()) walk(child, false);
      else throw new Error(`data: ${child} is not a plain file or folder; the hub keeps only its own files in ${root} (move it out)`);
    }
  };
  walk(root, true);
}

function tighten(io: TreeFs, p: string, isDir: boolean, root = false): void {
  const want = isDir ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
  try {
    const st = io.lstatSync(p);
    if (isDir && !st.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    if ((st.mode & 0o777) !== want) io.chmodSync(p, want);
    if ((io.lstatSync(p).mode & 0o777) !== want) throw Object.assign(new Error('the mode did not change'), { code: 'EPERM' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    if (code === 'ENOENT' && !root) return;
    throw new Error(`data: cannot make ${p} private (${code}); the hub will not keep room data where other users could read it`);
  }
}

/**
 * The hub's one atomic file write (the room's secret, the CA's keys and certificates, the pid
 * file, the room's file chunks). The data goes to a temp file beside `file`, made with its final
 * mode (never readable by others, not even for a moment), is fsynced, renamed over `file`, and the
 * folder is fsynced: after a crash or a power cut `file` is the old one or the new one, whole, and
 * the rename itself is on disk. A write that fails leaves no temp file behind.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx': a temp file of the same name (a link someone planted) is never followed or reused.
    const fh = await fsp.open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  // The rename itself is durable only once the folder is synced.
  const dh = await fsp.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

export type AtomicWrite = (file: string, data: string | Uint8Array) => Promise<void>;

/** Creates `file` empty with 0600 if it does not exist (SQLite then gives its -wal and -shm the same mode). */
export function createPrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
}

export function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`data: cannot read ${path.basename(file)}: ${(err as Error).message}`);
  }
}
