/**
 * What the room channel brings (room/hub-connection.ts), and where it goes in the app: one line
 * per event, so that the wiring of the hub link reads in one place.
 */
import type { HubConnectionEvents } from '../room/hub-connection.ts';
import type { RoomApp } from './room-app.svelte.ts';

export function hubEvents(app: RoomApp): HubConnectionEvents {
  return {
    state: (s) => (app.hub = s),
    welcome: (room, members) => {
      app.room = room;
      app.setRoster(members);
      app.memory?.hubUp();
    },
    roster: (members) => app.setRoster(members),
    // The credential expired or the secret was rotated (prove again), or stop: room-app decides.
    refused: (error, code) => void app.hubRefused(error, code),
    binary: (frame) => app.memory?.fromHub(frame),
    closed: () => app.memory?.hubDown(),
    // The hub says the room's links to other rooms changed: banners follow at once.
    gatewayChanged: () => void app.gateway?.refresh(),
    problem: (error) => {
      if (error.code === 'storage-full' && app.memory) app.memory.storageError = error.message;
    },
  };
}
