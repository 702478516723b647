/**
 * The checked-in clip the fixed-vector tests use, so that they need no espeak-ng at run time:
 * fixtures/hey-jarvis.wav, 16 kHz mono 16-bit, 1.98 s, made once with
 *   espeak-ng -v en -s 160 -w raw.wav "hey jarvis"
 *   sox raw.wav -r 16000 -c 1 -b 16 -e signed-integer hey-jarvis.wav \
 *     silence 1 0.01 0.1% reverse silence 1 0.01 0.1% reverse pad 0.5 0.7
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWav } from './node-models.ts';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const CLIP_FILE = path.join(FIXTURES, 'hey-jarvis.wav');

export function loadFixtureClip(): { rate: number; samples: Float32Array } {
  const clip = readWav(CLIP_FILE);
  if (clip.rate !== 16_000) throw new Error(`${CLIP_FILE}: ${clip.rate} Hz, expected 16000`);
  return clip;
}
