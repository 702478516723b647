/** This device's voice settings: kept on the device (never in the room's memory), validated on read. */
import { z } from 'zod';
import { DEFAULT_THRESHOLD, PHRASE_IDS, PhraseId, Threshold } from '../../protocol/voice.ts';
import { getSetting, putSetting } from '../platform/storage.ts';

/** Where this device's microphone is processed: here, on a room device, or decided by battery. */
export const RunWhere = z.enum(['auto', 'here', 'room']);
export type RunWhere = z.infer<typeof RunWhere>;

export const VoiceSettings = z.object({
  /** This device's microphone listens for the room. Off until the person turns it on. */
  listen: z.boolean(),
  where: RunWhere,
  /** Run other devices' microphones when they ask (shared room compute). */
  offer: z.boolean(),
  phrases: z.array(PhraseId).max(PHRASE_IDS.length),
  threshold: Threshold,
  /** Understand spoken commands after a wake word (speech to text). Off: the fixed timer phrase acts alone. */
  commands: z.boolean().default(true),
  /** Let the room's scribe use this microphone while a scribe session runs. */
  scribe: z.boolean().default(true),
});
export type VoiceSettings = z.infer<typeof VoiceSettings>;

export function defaultVoiceSettings(): VoiceSettings {
  return { listen: false, where: 'auto', offer: true, phrases: [...PHRASE_IDS], threshold: DEFAULT_THRESHOLD, commands: true, scribe: true };
}

export async function loadVoiceSettings(): Promise<VoiceSettings> {
  try {
    const raw = await getSetting('voice');
    if (!raw) return defaultVoiceSettings();
    const parsed = VoiceSettings.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : defaultVoiceSettings();
  } catch {
    return defaultVoiceSettings();
  }
}

export async function saveVoiceSettings(s: VoiceSettings): Promise<void> {
  await putSetting('voice', JSON.stringify(VoiceSettings.parse(s)));
}
