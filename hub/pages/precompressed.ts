/**
 * Serves the build's `.gz` copy of a large file (onnxruntime's wasm, the models: made by
 * scripts/vite-plugin-models.ts) to a browser that accepts gzip, with the original file's type.
 * The browser decodes it, so what a page (and its SHA-256 check) sees is the original bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response, NextFunction, RequestHandler } from 'express';

const TYPES: Record<string, string> = { '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.mjs': 'text/javascript; charset=utf-8' };

export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [name, ...params] = part.trim().split(';').map((x) => x.trim());
    if (name !== 'gzip' && name !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}

/** For GET/HEAD under `prefixes` (e.g. `/ort/`, `/models/`) of a file that has a `.gz` copy in `root`. */
export function precompressed(root: string, prefixes: readonly string[]): RequestHandler {
  const absRoot = path.resolve(root);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!prefixes.some((p) => req.path.startsWith(p))) return next();
    const type = TYPES[path.extname(req.path)];
    if (!type) return next();
    res.vary('Accept-Encoding');
    if (!acceptsGzip(req.headers['accept-encoding'])) return next();
    // Only plain names under the root: no dot segments, no encoded separators.
    let rel: string;
    try {
      rel = decodeURIComponent(req.path);
    } catch {
      return next();
    }
    if (rel.includes('\0') || rel.split('/').some((seg) => seg === '..' || seg === '.')) return next();
    const file = path.join(absRoot, rel + '.gz');
    if (!file.startsWith(absRoot + path.sep)) return next();
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) return next();
      res.setHeader('Content-Type', type);
      res.setHeader('Content-Encoding', 'gzip');
      res.sendFile(file, { acceptRanges: false, dotfiles: 'deny' }, (e) => e && !res.headersSent && next());
    });
  };
}
