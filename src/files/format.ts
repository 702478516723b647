/** How file facts read on screen. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function formatWhen(at: number, now = Date.now()): string {
  const d = new Date(at);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString();
}

export const STATE_TEXT = {
  remote: 'not on this device',
  downloading: 'receiving',
  waiting: 'waiting for a device that has it',
  complete: 'on this device',
  cancelled: 'cancelled',
  error: 'failed',
} as const;

export function errorText(code: string, message: string): string {
  if (code === 'storage-full') return 'Storage is full. What was received is kept; free some space and try again.';
  if (code === 'hash-mismatch') return 'No intact copy could be found (every copy failed its check).';
  return message;
}
