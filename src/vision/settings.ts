/** This device's camera settings: kept on the device (never in the room's memory), validated on read. */
import { z } from 'zod';
import { CAMERA } from '../../protocol/camera.ts';
import { getSetting, putSetting } from '../platform/storage.ts';

/** Where this device's camera frames are processed: here, on a room device, or decided by battery. */
export const CameraWhere = z.enum(['auto', 'here', 'room']);
export type CameraWhere = z.infer<typeof CameraWhere>;

export const VisionSettings = z.object({
  /** This device's camera counts people for the room. Off until the person turns it on. */
  camera: z.boolean(),
  /** Where the camera is ("lectern", "table"), shown with its count everywhere. */
  spot: z.string().trim().max(CAMERA.spotChars),
  where: CameraWhere,
  /**
   * Recognise enrolled faces on this device: for its own camera, and for the room's cameras when it
   * offers its compute. Off by default: a device that recognises receives the keys of the room's
   * face templates (THREAT_MODEL.md).
   */
  recognise: z.boolean(),
});
export type VisionSettings = z.infer<typeof VisionSettings>;

export function defaultVisionSettings(): VisionSettings {
  return { camera: false, spot: '', where: 'auto', recognise: false };
}

export async function loadVisionSettings(): Promise<VisionSettings> {
  try {
    const raw = await getSetting('vision');
    if (!raw) return defaultVisionSettings();
    const parsed = VisionSettings.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : defaultVisionSettings();
  } catch {
    return defaultVisionSettings();
  }
}

export async function saveVisionSettings(s: VisionSettings): Promise<void> {
  await putSetting('vision', JSON.stringify(VisionSettings.parse(s)));
}
