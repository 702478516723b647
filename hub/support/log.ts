/**
 * The hub's log. Secrets registered here are replaced by [redacted] in every line, so a room
 * secret, a credential or a proof cannot reach the terminal or a log file by mistake.
 */
const secrets = new Set<string>();
let quiet = false;

export function registerSecret(value: string): void {
  if (value.length >= 8) secrets.add(value);
}

export function setQuiet(q: boolean): void {
  quiet = q;
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  // Anything that looks like a join fragment or a token parameter, whoever made it.
  return out.replace(/([#&?](?:s|token)=)[^&\s"]+/g, '$1[redacted]');
}

function line(level: string, msg: string, fields?: Record<string, unknown>): string {
  const extra = fields ? ' ' + JSON.stringify(fields) : '';
  return redact(`${new Date().toISOString()} ${level} ${msg}${extra}`);
}

export const log = {
  info(msg: string, fields?: Record<string, unknown>): void {
    if (!quiet) process.stdout.write(line('info', msg, fields) + '\n');
  },
  warn(msg: string, fields?: Record<string, unknown>): void {
    process.stderr.write(line('warn', msg, fields) + '\n');
  },
  error(msg: string, fields?: Record<string, unknown>): void {
    process.stderr.write(line('error', msg, fields) + '\n');
  },
};
