/**
 * A transcript as a file, for a member who can read it: Markdown or plain text. Each line: when,
 * whose microphone heard it, the text. Only what this device opened is exported; an utterance it
 * cannot open is marked, never left out silently.
 */
import type { SessionView } from './scribe.svelte.ts';

export type ExportFormat = 'md' | 'txt';

const pad = (n: number) => String(n).padStart(2, '0');
/** Local time, hh:mm:ss. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
function day(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function exportTranscript(v: SessionView, format: ExportFormat, room: string): string {
  const s = v.session;
  const when = `${day(s.startedAt)} ${clock(s.startedAt)}${s.stoppedAt !== undefined ? `–${clock(s.stoppedAt)}` : ' (still running)'}`;
  const present = s.present.map((p) => p.name).join(', ');
  const md = format === 'md';
  const lines = [
    md ? `# Transcript: ${room}, ${when}` : `Transcript: ${room}, ${when}`,
    '',
    `Started by ${s.startedByName}${s.stoppedBy ? `, stopped by ${s.stoppedBy.name}` : ''}. Present at the start: ${present}.`,
    '',
  ];
  for (const u of v.utterances) {
    const text = u.text ?? '[this device cannot open this utterance]';
    const by = u.processedBy !== u.heardBy ? ` (transcribed on another device)` : '';
    lines.push(md ? `- **${clock(u.start)}–${clock(u.end)} · ${u.heardByName}**${by}: ${text}` : `[${clock(u.start)}-${clock(u.end)}] ${u.heardByName}${by}: ${text}`);
  }
  return lines.join('\n') + '\n';
}

export function exportFileName(v: SessionView, format: ExportFormat): string {
  return `transcript-${day(v.session.startedAt)}-${clock(v.session.startedAt).replaceAll(':', '')}.${format}`;
}
