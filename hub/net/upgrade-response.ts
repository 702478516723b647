import type { Duplex } from 'node:stream';
import type { WireError } from '../../protocol/errors.ts';

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 421: 'Misdirected Request', 429: 'Too Many Requests' };

/** Answers a WebSocket upgrade with a plain HTTP error, readable in the browser's network panel. */
export function refuseUpgrade(socket: Duplex, status: number, error: WireError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ v: 1, error });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\nConnection: close\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
