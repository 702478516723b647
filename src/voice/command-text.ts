/** What the room did for a spoken command, in words (the live banner and the list of commands). */
export function commandOutcome(c: { did: string; names?: string[]; durationMs?: number }): string {
  if (c.did === 'timer') return `room timer, ${Math.round((c.durationMs ?? 0) / 60000)} min`;
  if (c.did === 'who-is-here') return `here: ${(c.names ?? []).join(', ')}`;
  return c.did.replaceAll('-', ' ');
}
