import type { Request, Response, NextFunction } from 'express';

/**
 * Content-Security-Policy: the app may load and connect only to the hub that served it. 'self'
 * covers ws:/wss: to the same host and port. 'wasm-unsafe-eval' is for onnxruntime-web.
 * COOP/COEP make the page cross-origin isolated (threads for wasm inference). `frame-src blob:`
 * lets the files view preview a PDF from the bytes it holds.
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  // File previews: a PDF shared in the room opens in a frame from a blob: URL made by the app.
  "frame-src 'self' blob:",
  "font-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(
  extraConnect: (req: Request) => string[] = () => [],
  isolate: (req: Request) => boolean = () => true,
) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const extra = extraConnect(req);
    res.setHeader('Content-Security-Policy', extra.length ? APP_CSP.replace("connect-src 'self'", `connect-src 'self' ${extra.join(' ')}`) : APP_CSP);
    // Not on the onboarding page: its trust probe is a cross-origin request to the HTTPS port.
    if (isolate(req)) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Permissions-Policy', 'camera=(self), microphone=(self), geolocation=()');
    next();
  };
}
