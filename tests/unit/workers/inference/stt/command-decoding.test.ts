/**
 * Commands after a wake word, on espeak-ng clips (9 commands x 4 voices): the plain greedy decode
 * against the grammar-constrained one (transcriber.ts: greedy first, the constrained beam when the
 * greedy text is no command, believed only if nearly as likely). A command counts as carried out
 * when it parses to exactly what was said (a note's words included). Asserted: constrained >=
 * free on the set, and speech that is no command never becomes one. Printed per clip.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import path from 'node:path';
import { readWav } from '../wake/node-models.ts';
import { voiceToolsMissing } from '../../../../support/voice-fixtures.ts';
import { carriedOut, commandClips, nonCommandClips } from '../../../../support/stt-fixtures.ts';
import { transcribe } from '../../../../../workers/inference/stt/transcriber.ts';
import { parseCommand } from '../../../../../workers/inference/stt/commands.ts';
import type { MoonshineDecoder } from '../../../../../workers/inference/stt/decoder.ts';
import { CLIP_DIR, nodeDecoder, speechOf } from './node-stt.ts';


describe.skipIf(voiceToolsMissing().length > 0)('commands: constrained against free decoding (real model)', () => {
  let dec: MoonshineDecoder;
  beforeAll(async () => {
    dec = await nodeDecoder();
  }, 60_000);

  it('the constrained decode carries out at least as many commands as the free one', { timeout: 900_000 }, async () => {
    let free = 0;
    let constrained = 0;
    const clips = commandClips(CLIP_DIR);
    const rows: string[] = [];
    for (const c of clips) {
      const t = await transcribe(dec, speechOf(readWav(c.file).samples, c.speech!), { mode: 'command' });
      const f = carriedOut(parseCommand(t.free.text), c.command);
      const k = carriedOut(t.command!, c.command);
      free += f ? 1 : 0;
      constrained += k ? 1 : 0;
      rows.push(`| ${path.basename(c.file).replace(/-[0-9a-f]{12}\.wav$/, '').slice(0, 44).padEnd(44)} | ${f ? 'ok' : '--'} ${t.free.text.padEnd(40)} | ${k ? 'ok' : '--'} ${t.constrained ? `${t.constrained.text} (${t.constrained.believed ? 'believed' : 'not believed'})` : t.constrained === null ? '(no sentence of the grammar)' : '(free text parsed)'} | ${Math.round(t.ms.total)} ms |`);
    }
    console.log(['| clip | free greedy | constrained | time |', ...rows, `carried out: free ${free}/${clips.length}, constrained ${constrained}/${clips.length}`].join('\n'));
    expect(constrained).toBeGreaterThanOrEqual(free);
  });

  it('speech that is no command stays unknown, shown as heard', { timeout: 300_000 }, async () => {
    for (const c of nonCommandClips(CLIP_DIR)) {
      const t = await transcribe(dec, speechOf(readWav(c.file).samples, c.speech!), { mode: 'command' });
      console.log(`[stt] "${c.text}" -> ${JSON.stringify(t.command)}; constrained ${JSON.stringify(t.constrained)}`);
      expect(t.command).toEqual({ kind: 'unknown', text: t.free.text });
    }
  });
});
