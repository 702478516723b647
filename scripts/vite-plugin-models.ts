/**
 * Copies the models in models/registry.ts and onnxruntime-web's own files into the build
 * (`/models/`, `/ort/`), from the npm packages in node_modules. The build fails when a file's
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
  source: string;
}

/** Every file to ship, checked against the registry. Throws on the first mismatch. */
export function collectFiles(root = process.cwd()): { files: CopiedFile[]; registry: object } {
  const files: CopiedFile[] = [];
  const pinned = (m: ModelEntry | DataFile) => {
    const source = path.join(packageDir(m.package, root), m.path);
    if (!fs.existsSync(source)) throw new Error(`models: ${m.package}/${m.path} is missing (npm install?)`);
    const bytes = fs.statSync(source).size;
    const sha256 = sha256File(source);
    if (sha256 !== m.sha256 || bytes !== m.bytes) {
      throw new Error(`models: ${m.package}/${m.path} is ${bytes} bytes, SHA-256 ${sha256}; models/registry.ts says ${m.bytes} bytes, ${m.sha256}. Update the registry if the package changed on purpose.`);
    }
    const url = modelUrl(m);
    files.push({ url, source });
    return { name: m.name, url, package: m.package, version: packageVersion(m.package, root), path: m.path, sha256, bytes, licence: m.licence, licenceNote: m.licenceNote };
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
        const bytes = fs.readFileSync(f.source);
        this.emitFile({ type: 'asset', fileName: f.url.slice(1), source: bytes });
        // A gzip copy beside it: ORT's 14 MB wasm crosses the room's Wi-Fi as 3.7 MB. The hub serves
        // it to browsers that accept gzip (hub/routes/precompressed.ts); the bytes they get are the same.
        if (bytes.length >= PRECOMPRESS_MIN_BYTES) this.emitFile({ type: 'asset', fileName: `${f.url.slice(1)}.gz`, source: zlib.gzipSync(bytes, { level: 6 }) });
      }
      this.emitFile({ type: 'asset', fileName: `${MODELS_PATH.slice(1)}registry.json`, source: JSON.stringify(c.registry, null, 2) + '\n' });
    },
    configureServer(server) {
      const c = collectFiles();
      const byUrl = new Map(c.files.map((f) => [f.url, f.source]));
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0]!;
        if (url === `${MODELS_PATH}registry.json`) {
          res.setHeader('Content-Type', 'application/json');
          return void res.end(JSON.stringify(c.registry));
        }
        const source = byUrl.get(url);
        if (!source) return next();
        res.setHeader('Content-Type', CONTENT_TYPES[path.extname(source)] ?? 'application/octet-stream');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        fs.createReadStream(source).pipe(res);
      });
    },
  };
}
