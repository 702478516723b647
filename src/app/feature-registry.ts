/**
 * Every feature the app shows, in one list: the shell (shell/) builds its tabs, its pages and its
 * always-visible indicators from it and names no feature itself. A new feature adds ONE entry here:
 *
 *   feature({
 *     id: 'camera', label: 'Camera', icon: ICONS.camera,
 *     view: { component: CameraPanel, props: (room) => (room.vision ? { vision: room.vision } : null) },
 *     indicator: { component: CameraLive, props: (room) => ({ people: room.members }) },
 *     badge: (room) => (room.vision?.live ? { text: 'live', label: 'camera on', tone: 'live' } : null),
 *   })
 *
 * Order matters: a phone's tab bar shows the first PHONE_TABS (shell/shell.svelte.ts) views and
 * puts the rest under "More"; a laptop's rail shows them all. `beside` views (people, the
 * timeline) stay on a laptop's screen next to the selected one; the first entry is the home page
 * (the top bar's faces link to it). An `indicator` is on every
 * screen, above every page: anything a person must always see (a live microphone or camera, a
 * running timer, a link to another room) is one; it must never sit only behind a tab.
 */
import type { Component } from 'svelte';
import type { RoomApp } from './room-app.svelte.ts';
import { ICONS, type IconPaths } from '../ui/icons.ts';
import RoomHome from './shell/RoomHome.svelte';
import About from './shell/About.svelte';
import Timeline from '../memory/components/Timeline.svelte';
import Notes from '../memory/components/Notes.svelte';
import Board from '../memory/components/Board.svelte';
import Files from '../files/components/Files.svelte';
import VoiceView from '../voice/components/VoiceView.svelte';
import RoomVoiceBar from '../voice/components/RoomVoiceBar.svelte';
import Gateway from '../gateway/components/Gateway.svelte';
import GatewayBanner from '../gateway/components/GatewayBanner.svelte';

// Props are whatever each component takes; `feature()` checks them per entry.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;

/** A component and how to get its props from the app; props null: not ready (the room's memory still opening). */
export interface Slot<P extends Props = Props> {
  component: Component<P>;
  props: (room: RoomApp) => P | null;
}

export interface Badge {
  text: string;
  /** What the badge means, for screen readers ("microphone live"). */
  label: string;
  tone: 'live' | 'info';
}

export interface Feature<V extends Props = Props, I extends Props = Props> {
  /** The page's address (`#/id`): lower case, digits and dashes. */
  id: string;
  /** The tab's name: one short word fits a phone's tab bar. */
  label: string;
  icon: IconPaths;
  /** The page. */
  view: Slot<V>;
  /** Shown on every page, above it (privacy indicators, timers, links to other rooms). */
  indicator?: Slot<I>;
  /** A state worth a mark on the tab (a live microphone). */
  badge?: (room: RoomApp) => Badge | null;
  /** A count of the page's things (messages…): what arrives while the page is off screen shows as new on its tab. Null while unknown. */
  activity?: (room: RoomApp) => number | null;
  /** On a wide screen, always on screen beside the selected page: before it (`start`) or after it (`end`). */
  beside?: 'start' | 'end';
  /** Shown while `view.props` is null. */
  waiting?: string;
}

/** Type-checks one entry's components against their props. */
export function feature<V extends Props, I extends Props = Props>(f: Feature<V, I>): Feature {
  return f as unknown as Feature;
}

const peerName = (room: RoomApp) => (id: string) => room.members.find((m) => m.peerId === id)?.name ?? id.slice(0, 9);
const MEMORY_OPENING = "Opening the room's memory…";

export const FEATURES: readonly Feature[] = [
  feature({
    id: 'room',
    label: 'Room',
    icon: ICONS.people,
    view: { component: RoomHome, props: (room) => ({ room }) },
    beside: 'start',
  }),
  feature({
    id: 'timeline',
    label: 'Chat',
    icon: ICONS.chat,
    view: { component: Timeline, props: (room) => (room.memory?.loaded ? { memory: room.memory, deviceId: room.deviceId } : null) },
    activity: (room) => (room.memory?.loaded ? room.memory.timeline.filter((m) => m.author !== room.deviceId).length : null),
    beside: 'end',
    waiting: MEMORY_OPENING,
  }),
  feature({
    id: 'notes',
    label: 'Notes',
    icon: ICONS.note,
    view: { component: Notes, props: (room) => (room.memory?.loaded ? { memory: room.memory } : null) },
    activity: (room) => (room.memory?.loaded ? room.memory.notes.length : null),
    waiting: MEMORY_OPENING,
  }),
  feature({
    id: 'files',
    label: 'Files',
    icon: ICONS.file,
    view: {
      component: Files,
      props: (room) => (room.memory?.loaded && room.files ? { files: room.files, pin: (id: string) => room.memory?.pin('file', id), peerName: peerName(room) } : null),
    },
    activity: (room) => (room.files ? room.files.list.length : null),
    waiting: MEMORY_OPENING,
  }),
  feature({
    id: 'board',
    label: 'Board',
    icon: ICONS.pin,
    view: { component: Board, props: (room) => (room.memory?.loaded ? { memory: room.memory, files: room.files?.list ?? [] } : null) },
    activity: (room) => (room.memory?.loaded ? room.memory.board.length : null),
    waiting: MEMORY_OPENING,
  }),
  feature({
    id: 'voice',
    label: 'Voice',
    icon: ICONS.mic,
    view: {
      component: VoiceView,
      props: (room) => ({ voice: room.voice, roomVoice: room.roomVoice, people: room.members, deviceId: room.deviceId, peerName: peerName(room) }),
    },
    indicator: { component: RoomVoiceBar, props: (room) => ({ voice: room.voice, roomVoice: room.roomVoice, people: room.members, deviceId: room.deviceId }) },
    badge: (room) => (room.voice?.mic === 'live' ? { text: 'live', label: "this device's microphone is live", tone: 'live' } : null),
  }),
  feature({
    id: 'connect',
    label: 'Connect',
    icon: ICONS.link,
    view: { component: Gateway, props: (room) => (room.gateway && room.memory?.loaded ? { gateway: room.gateway, memory: room.memory } : null) },
    indicator: { component: GatewayBanner, props: (room) => (room.gateway ? { gateway: room.gateway } : null) },
    badge: (room) => {
      const n = room.gateway?.links.length ?? 0;
      return n ? { text: String(n), label: `connected to ${n} other ${n === 1 ? 'room' : 'rooms'}`, tone: 'info' } : null;
    },
    waiting: MEMORY_OPENING,
  }),
  feature({
    id: 'about',
    label: 'About',
    icon: ICONS.info,
    view: { component: About, props: (room) => ({ version: room.caps?.app ?? null }) },
  }),
];
