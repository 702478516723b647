/**
 * The voice service on this device, as its UI sees it:
 *
 *   - this device's microphone (off until the person turns it on), its level and speech state;
 *   - where its audio is processed: here (the inference worker) or on a room device that offers
 *     the service (voice-client.ts), decided by the person or, on "auto", by the battery;
 *   - serving other devices' microphones when this device offers the service (voice-server.ts);
 *   - detections (detector.ts) recorded in the room's memory (room-voice.svelte.ts);
 *   - a command after a wake word (command-flow.ts), and the scribe's feed (scribe-feed.ts),
 *     transcribed where this microphone's models run (stt-offload.ts) or here.
 *
 * Audio is processed in memory and dropped: no sample is stored or sent anywhere but to the chosen
 * room device.
 *
 * (~390 lines: the microphone's state machine — off, starting, here, on a room device, failed and
 * retried — reads best in one place; each piece it drives is its own module.)
 *
 * (~390 lines: the one object the voice UI reads; its parts live beside it (detections.ts, stt-offload.ts,
 * voice-client.ts, voice-server.ts, microphone.ts); what is left is state and one method per thing a person does.
 * Next split: choosing where the microphone runs, and moving it.)
 */
import { OsmoseError } from '../../protocol/errors.ts';
import type { VoicePresence } from '../../protocol/common.ts';
import type { PhraseId, VoiceControl, VoiceStep } from '../../protocol/voice.ts';
import { WakeDetector, type Detection } from './detector.ts';
import { Detections, type OwnDetection } from './detections.ts';
import { OrderedFeeder, type WakeEngine } from './engine.ts';
import type { Level, LiveMicrophone, MicrophoneOpener } from './microphone.ts';
import { VoiceClient } from './voice-client.ts';
import { RoomCompute } from './room-compute.ts';
import { CommandFlow, type CommandRoom } from './command-flow.ts';
import { ScribeFeed, type ScribeTarget } from './scribe-feed.ts';
import { SttOffload, transcribeNear } from './stt-offload.ts';
import type { SttEngine } from './stt-engine.ts';
import type { Outcome } from './command-runner.ts';
import type { Candidate } from './server-choice.ts';
import { defaultVoiceSettings, loadVoiceSettings, saveVoiceSettings, type VoiceSettings } from './settings.ts';
import type { RoomVoiceState } from './room-voice.svelte.ts';

export interface VoiceDeps {
  deviceId: string;
  engine: WakeEngine;
  stt: SttEngine;
  send(to: string, msg: VoiceControl): boolean;
  sendAudio(to: string, frame: Uint8Array): void;
  candidates(): Candidate[];
  room(): RoomVoiceState | null;
  /** What a spoken command may do in the room (null outside a room). */
  commandRoom(): CommandRoom | null;
  /** Says an answer aloud where the device can (optional). */
  speak?(text: string): void;
  /** This device's presence changed (mic, serving, load). */
  presenceChanged(): void;
  /** The battery is discharging (null: unknown). */
  onBattery(): boolean | null;
  /** Asks for this device's microphone (voice/microphone.ts `Microphone.open` in the app). */
  openMicrophone: MicrophoneOpener;
}

export type MicState = 'off' | 'starting' | 'live' | 'error';

export type { OwnDetection };

export class VoiceService {
  settings = $state<VoiceSettings>(defaultVoiceSettings());
  mic = $state<MicState>('off');
  micError = $state<string | null>(null);
  /** The AudioContext waits for a tap (autoplay rules). */
  needsTap = $state(false);
  level = $state(0);
  vad = $state(0);
  speech = $state(false);
  scores = $state.raw<Partial<Record<PhraseId, number>>>({});
  /** The device running the models (this one's id when here), or null while none does. */
  runningOn = $state<string | null>(null);
  pipelineLive = $state(false);
  pipelineError = $state<string | null>(null);
  detections = $state.raw<OwnDetection[]>([]);
  /** This microphone feeds the scribe: the session, and who transcribes it. */
  scribeFeed = $state.raw<{ session: string; by: string | null } | null>(null);
  /** What the last spoken command did, on this device. */
  lastCommand = $state.raw<(Outcome & { text: string; at: number }) | null>(null);
  /** Devices whose microphones this device runs. */
  serving = $state.raw<string[]>([]);
  /** 80 ms steps the pipeline has scored for this microphone. */
  steps = $state(0);
  /** Blocks dropped because the models fell behind. */
  dropped = $state(0);
  /** This device's id: `runningOn` equals it when the models run here. */
  get deviceIdHere(): string {
    return this.deps.deviceId;
  }
  /** Recent round trips of offloaded blocks (ms), newest last. */
  offloadRtts: number[] = [];
  /** Recent times from a block to its steps when the models run here (ms), newest last. */
  localRtts: number[] = [];

  private microphone: LiveMicrophone | null = null;
  private local: OrderedFeeder | null = null;
  private localOpening: Promise<void> | null = null;
  private client: VoiceClient | null = null;
  private readonly detector: WakeDetector;
  private readonly recorder: Detections;
  private readonly server: RoomCompute;
  /** Speech to text on room devices (public for the diagnostics handle: the bench transcribes on a chosen device). */
  readonly offload: SttOffload;
  readonly commands: CommandFlow;
  private readonly scribe: ScribeFeed;
  /** Blocks of this microphone, numbered: a step is matched to its block by it. */
  private blockSeq = 0;
  private micToken = 0;
  private loaded = false;

  constructor(private readonly deps: VoiceDeps) {
    this.detector = new WakeDetector({ threshold: this.settings.threshold, phrases: this.settings.phrases, onPeak: (d) => this.peak(d) });
    this.offload = new SttOffload({ send: deps.send, sendAudio: deps.sendAudio });
    this.commands = new CommandFlow({
      transcribe: (samples) => transcribeNear(this.offload, deps.stt, deps.deviceId, this.runningOn, samples),
      room: () => deps.commandRoom(),
      enabled: () => this.settings.commands,
      speak: deps.speak,
      done: (o) => (this.lastCommand = { ...o, at: Date.now() }),
    });
    this.recorder = new Detections(this.detector, this.commands, deps.room, (d) => (this.detections = [d, ...this.detections].slice(0, 10)));
    this.scribe = new ScribeFeed({
      deviceId: deps.deviceId,
      engine: deps.stt,
      offload: this.offload,
      changed: () => {
        this.scribeFeed = this.scribe.state;
        deps.presenceChanged();
      },
    });
    this.server = new RoomCompute({
      engine: deps.engine,
      stt: deps.stt,
      send: (to, msg) => void deps.send(to, msg),
      offering: () => this.offering(),
      ownLoad: () => (this.runningOn === deps.deviceId && this.mic === 'live' ? 1 : 0),
      changed: () => {
        this.serving = this.server.clients();
        deps.presenceChanged();
      },
    });
  }

  /** Reads this device's settings and resumes listening if it was on. */
  async start(): Promise<void> {
    this.settings = await loadVoiceSettings();
    this.detector.configure({ threshold: this.settings.threshold, phrases: this.settings.phrases });
    this.loaded = true;
    this.changed();
    if (this.settings.listen) await this.startMic();
  }

  presence(): VoicePresence {
    const load = this.server.load + (this.runningOn === this.deps.deviceId && this.mic === 'live' ? 1 : 0);
    const scribe = this.scribe.state;
    return { mic: this.mic === 'live' ? 'live' : 'off', serving: this.offering(), load: Math.min(64, load), ...(scribe ? { scribe } : {}) };
  }

  /** Offering the room compute: the person allows it and the device is not running on battery. */
  offering(): boolean {
    return this.loaded && this.settings.offer && this.deps.onBattery() !== true;
  }

  async update(change: Partial<VoiceSettings>): Promise<void> {
    const before = this.settings;
    const next: VoiceSettings = { ...before, ...change };
    if (next.phrases.length === 0) next.phrases = before.phrases;
    this.settings = next;
    this.detector.configure({ threshold: next.threshold, phrases: next.phrases });
    await saveVoiceSettings(next).catch((err: unknown) => console.warn('[osmose] could not save voice settings', err));
    if (before.offer && !next.offer) this.server.stopAll();
    if (next.listen && !before.listen) await this.startMic();
    else if (!next.listen && before.listen) this.stopMic();
    else if (next.listen && (before.where !== next.where || before.phrases.join() !== next.phrases.join())) this.reroute(true);
    this.changed();
  }

  async resumeAudio(): Promise<void> {
    await this.microphone?.resume();
    this.needsTap = this.microphone?.suspended ?? false;
  }

  /** Mesh: a shared-compute message from an authenticated peer. */
  control(from: string, msg: VoiceControl): void {
    if (this.server.control(from, msg)) return;
    if ((msg.op === 'stt-results' || msg.op === 'refused' || msg.op === 'stt-opened') && this.offload.owns(msg.stream)) return this.offload.control(from, msg);
    this.client?.control(from, msg);
  }

  /** Mesh: an audio frame from an authenticated peer. */
  audio(from: string, bytes: Uint8Array): void {
    this.server.audio(from, bytes);
  }

  /** The scribe's session this device may feed (null: none, or no key here). */
  feedScribe(target: ScribeTarget | null): void {
    this.scribe.want(target);
  }

  /** Mesh membership or presence changed: the choice of server may change. */
  peersChanged(): void {
    this.client?.reconsider();
    if (this.mic === 'live' && this.settings.where === 'auto') this.reroute(false);
  }

  peerGone(peerId: string): void {
    this.server.peerGone(peerId);
    this.offload.peerGone(peerId);
    this.client?.peerGone(peerId);
  }

  stop(): void {
    this.stopMic();
    this.scribe.stop();
    this.server.stopAll();
  }

  /** The microphone, where it runs, or the scribe's wishes changed: tell the room. */
  private changed(): void {
    this.scribe.route(this.mic === 'live' && this.settings.scribe, this.runningOn);
    this.deps.presenceChanged();
  }

  private async startMic(): Promise<void> {
    if (this.mic === 'live' || this.mic === 'starting') return;
    const token = ++this.micToken;
    this.mic = 'starting';
    this.micError = null;
    // The models load while the browser asks for the microphone (about a second saved).
    if (!this.wantsRoom()) this.deps.engine.warm?.(this.settings.phrases);
    try {
      const mic = await this.deps.openMicrophone((samples, level) => this.block(samples, level));
      if (token !== this.micToken) return mic.close();
      this.microphone = mic;
      this.needsTap = mic.suspended;
      this.mic = 'live';
      this.reroute(true);
    } catch (err) {
      if (token !== this.micToken) return;
      this.mic = 'error';
      this.micError = err instanceof OsmoseError ? err.message : String((err as Error)?.message ?? err);
    }
    this.changed();
  }

  private stopMic(): void {
    this.micToken++;
    this.microphone?.close();
    this.microphone = null;
    this.mic = 'off';
    this.needsTap = false;
    this.level = 0;
    this.speech = false;
    this.vad = 0;
    this.scores = {};
    this.closeLocal();
    this.client?.close();
    this.client = null;
    this.runningOn = null;
    this.pipelineLive = false;
    this.detector.reset();
    this.commands.reset();
    this.changed();
  }

  /** Where should this microphone run now? */
  private wantsRoom(): boolean {
    if (this.settings.where === 'here') return false;
    if (this.settings.where === 'room') return true;
    // Auto: a device on battery hands its audio to a room device when one offers the service.
    return this.deps.onBattery() === true && this.deps.candidates().some((c) => c.voice?.serving && c.visible);
  }

  private reroute(force: boolean): void {
    if (this.mic !== 'live') return;
    const room = this.wantsRoom();
    const current = this.client ? 'room' : this.local || this.localOpening ? 'here' : null;
    if (!force && current === (room ? 'room' : 'here')) return;
    this.closeLocal();
    this.client?.close();
    this.client = null;
    this.detector.reset();
    this.pipelineError = null;
    if (room) this.startClient();
    else void this.startLocal();
  }

  private startClient(): void {
    this.runningOn = null;
    this.pipelineLive = false;
    this.client = new VoiceClient(
      {
        send: this.deps.send,
        sendAudio: this.deps.sendAudio,
        candidates: this.deps.candidates,
        steps: (steps, server, rtt, tag) => {
          if (rtt !== null) {
            this.offloadRtts.push(rtt);
            if (this.offloadRtts.length > 200) this.offloadRtts.shift();
          }
          this.takeSteps(steps, server, tag);
        },
        state: (server, live) => {
          this.runningOn = server;
          this.pipelineLive = live;
          this.pipelineError = server ? null : 'No device in the room offers the voice service right now.';
          this.changed();
        },
      },
      this.settings.phrases,
    );
    this.client.reconsider();
  }

  private async startLocal(): Promise<void> {
    this.runningOn = this.deps.deviceId;
    this.pipelineLive = false;
    const token = this.micToken;
    const opening = (async () => {
      try {
        const handle = await this.deps.engine.open(this.settings.phrases);
        if (token !== this.micToken || this.client || this.local) return handle.close();
        this.local = new OrderedFeeder(
          handle,
          (steps, tag, ms) => {
            this.localRtts.push(ms);
            if (this.localRtts.length > 200) this.localRtts.shift();
            this.takeSteps(steps, this.deps.deviceId, tag);
          },
          (err) => {
            // The worker died or a model failed: say so, and start again on the next block.
            this.pipelineError = err instanceof OsmoseError ? err.message : String((err as Error)?.message ?? err);
            this.closeLocal();
          },
        );
        this.pipelineLive = true;
        this.pipelineError = null;
      } catch (err) {
        this.pipelineError = err instanceof OsmoseError ? err.message : String((err as Error)?.message ?? err);
      } finally {
        this.localOpening = null;
      }
    })();
    this.localOpening = opening;
    this.changed();
    await opening;
    this.changed();
  }

  private closeLocal(): void {
    this.local?.close();
    this.local = null;
    this.pipelineLive = false;
  }

  private lastRetry = 0;

  private block(samples: Float32Array, level: Level): void {
    this.level = level.rms;
    const seq = ++this.blockSeq;
    this.commands.block(seq, samples);
    this.scribe.block(samples);
    if (this.client) return this.client.block(samples, seq);
    if (this.local) {
      this.local.push(samples, seq);
      this.dropped = this.local.dropped;
      return;
    }
    // The local pipeline failed: try again now and then.
    if (!this.localOpening && this.runningOn === this.deps.deviceId && performance.now() - this.lastRetry > 5_000) {
      this.lastRetry = performance.now();
      void this.startLocal();
    }
  }

  private peak(d: Detection): void {
    this.detections = this.detections.map((x) => (x.phrase === d.phrase && x.at === d.at ? { ...x, score: d.score } : x));
    this.recorder.peak(d);
  }

  /** Steps completed by the blocks up to number `seq` (the last step is that block's). */
  private takeSteps(steps: VoiceStep[], processedBy: string, seq: number): void {
    const last = steps[steps.length - 1];
    if (!last) return;
    this.steps += steps.length;
    this.vad = last.vad;
    this.speech = last.speech;
    this.scores = last.scores;
    this.recorder.steps(steps, processedBy, seq, Date.now());
  }
}
