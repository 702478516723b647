/** How the room's cameras are said in words, the same on every device and on /display. */
import type { VisionEvent } from '../../protocol/camera.ts';

/** "Laptop at the lectern", or the device's name alone when its camera's spot is not named. */
export function cameraLabel(name: string, spot: string): string {
  return spot ? `${name} at the ${spot}` : name;
}

const where = (spot: string, camera: string) => (spot ? `at the ${spot}` : `by ${camera}'s camera`);

/** "3 people in view at the lectern". */
export function inViewText(n: number, spot: string, camera: string): string {
  return `${n === 0 ? 'Nobody' : n === 1 ? '1 person' : `${n} people`} in view ${where(spot, camera)}`;
}

/** "Anil, in view at the lectern". */
export function recognisedText(person: string, spot: string, camera: string): string {
  return `${person}, in view ${where(spot, camera)}`;
}

export function eventText(e: VisionEvent): string {
  const at = where(e.spot, e.cameraName);
  switch (e.kind) {
    case 'in-view':
      return `Someone came in view ${at} (${e.inView})`;
    case 'more-than-devices':
      return `${e.inView} people in view ${at}, more than the ${e.devices ?? '?'} devices here`;
    case 'unknown-face':
      return `A face nobody enrolled, in view ${at}`;
  }
}
