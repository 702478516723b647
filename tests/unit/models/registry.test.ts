import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { DATA_FILES, MODELS, RUNTIME_FILES, findModel } from '../../../models/registry.ts';
import crypto from 'node:crypto';
import { collectFiles, modelBytes, packageDir, sha256File } from '../../../scripts/vite-plugin-models.ts';

describe('model registry', () => {
  it('every model exists in its package (or is built from it) with the listed size and SHA-256', () => {
    for (const m of MODELS) {
      const file = path.join(packageDir(m.package), m.path);
      expect(fs.existsSync(file), file).toBe(true);
      const bytes = modelBytes(m);
      expect(bytes.byteLength, m.name).toBe(m.bytes);
      expect(crypto.createHash('sha256').update(bytes).digest('hex'), m.name).toBe(m.sha256);
    }
  });

  it('names are unique and URL-safe; licences are stated; wasm is always allowed', () => {
    expect(new Set(MODELS.map((m) => m.name)).size).toBe(MODELS.length);
    for (const m of MODELS) {
      expect(m.name).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
      expect(m.backends).toContain('wasm');
      expect(m.licenceNote.length).toBeGreaterThan(10);
    }
    expect(findModel('silero_vad_v5')!.licence).toBe('MIT');
    for (const name of ['hey_jarvis_v0.1', 'alexa_v0.1', 'hey_mycroft_v0.1', 'hey_rhasspy_v0.1', 'timer_v0.1', 'weather_v0.1', 'melspectrogram', 'embedding_model']) {
      expect(findModel(name)!.licence).toBe('CC-BY-NC-SA-4.0');
      expect(findModel(name)!.licenceNote).toMatch(/non-commercial/i);
    }
  });

  it("ORT's own files are in the installed onnxruntime-web", () => {
    for (const r of RUNTIME_FILES) expect(fs.existsSync(path.join(packageDir(r.package), r.path)), r.file).toBe(true);
  });

  it('the build step collects every file and records package versions', () => {
    const { files, registry } = collectFiles();
    expect(files).toHaveLength(MODELS.length + DATA_FILES.length + RUNTIME_FILES.length);
    const models = (registry as { models: { name: string; version: string }[] }).models;
    expect(models.find((m) => m.name === 'silero_vad_v5')!.version).toBe(JSON.parse(fs.readFileSync(path.join(packageDir('@ricky0123/vad-web'), 'package.json'), 'utf8')).version);
  });
});
