/**
 * The built PWA and its pages. HTTPS serves the app; plain HTTP serves onboarding at / and /join
 * (install the room CA, or continue as a guest) and the guest app at /guest.
 */
import express, { type Router } from 'express';
import path from 'node:path';
import fs from 'node:fs';
import { API } from '../../protocol/hub-api.ts';
import { pemToDer } from '../tls/material.ts';
import { precompressed } from './precompressed.ts';
import { MODELS_PATH, ORT_PATH } from '../../models/registry.ts';

export interface PageDeps {
  appDir: string;
  secure: boolean;
  rootCaPem: () => string | null;
}

export function pagesRouter(deps: PageDeps): Router {
  const r = express.Router();
  const page = (name: string) => path.join(deps.appDir, name);
  const app = page('index.html');
  const onboarding = page('onboarding.html');

  r.get(API.caPem, (_req, res) => {
    const pem = deps.rootCaPem();
    if (!pem) return res.status(404).type('text/plain').send('This hub uses its own certificate; there is no room CA to install.');
    res.setHeader('Content-Disposition', 'attachment; filename="osmose-room-ca.pem"');
    res.type('application/x-pem-file').send(pem);
  });
  r.get(API.caDer, (_req, res) => {
    const pem = deps.rootCaPem();
    if (!pem) return res.status(404).type('text/plain').send('This hub uses its own certificate; there is no room CA to install.');
    // application/x-x509-ca-cert makes Android and iOS offer to install it.
    res.setHeader('Content-Disposition', 'attachment; filename="osmose-room-ca.crt"');
    res.type('application/x-x509-ca-cert').send(pemToDer(pem));
  });

  const sendPage = (file: string) => (_req: express.Request, res: express.Response) => {
    res.setHeader('Cache-Control', 'no-cache');
    // dotfiles: the app folder may sit under a dot folder (e.g. .osmose/app); send's default
    // refuses any path with a dot segment.
    res.sendFile(file, { dotfiles: 'allow' });
  };
  r.get('/onboarding', sendPage(onboarding));
  if (deps.secure) {
    r.get(['/', '/join', '/index.html'], sendPage(app));
  } else {
    r.get(['/', '/join'], sendPage(onboarding));
    r.get('/guest', sendPage(app));
  }

  // ORT's runtime and the models: their gzip copies to browsers that accept them.
  r.use(precompressed(deps.appDir, [ORT_PATH, MODELS_PATH]));
  r.use(
    express.static(deps.appDir, {
      index: false,
      setHeaders(res, file) {
        const base = path.basename(file);
        if (base === 'sw.js' || base.startsWith('workbox-') || base === 'manifest.webmanifest' || base.endsWith('.html')) {
          res.setHeader('Cache-Control', 'no-cache');
        } else if (file.includes(`${path.sep}assets${path.sep}`)) {
          res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        }
      },
    }),
  );
  return r;
}

export function appIsBuilt(appDir: string): boolean {
  return ['index.html', 'display.html', 'onboarding.html'].every((f) => fs.existsSync(path.join(appDir, f)));
}
