/**
 * The app's entry: only wiring. The ICE guard first, then the composition root (app/) with the
 * browser's deps, the UI, the room, the service worker. Diagnostics builds (tests, benchmarks)
 * also install the `window.osmose*` handles; a shipped build does not contain them.
 */
import './mesh/ice-guard.ts'; // first: before any module can create an RTCPeerConnection
import './platform/boot-prefetch.ts'; // IndexedDB opens while the rest evaluates
import { mount } from 'svelte';
import App from './App.svelte';
import { RoomApp } from './app/room-app.svelte.ts';
import { browserDeps, inferenceWorker, lazyRuntime, type BrowserOptions } from './app/browser.ts';
import { registerServiceWorker } from './platform/service-worker.ts';
import './app.css';

const diagnostics = __OSMOSE_DIAGNOSTICS__ ? await import('./diagnostics/install.ts') : null;
const shipped: BrowserOptions = { inferenceWorker, allowFallbackAdapter: false };
const options = diagnostics ? diagnostics.browserOptions(shipped) : shipped;
const inference = lazyRuntime(options);
const app = new RoomApp(browserDeps(options, inference));
mount(App, { target: document.getElementById('app')!, props: { app } });
void app.boot();
registerServiceWorker();
diagnostics?.install(app, inference);
