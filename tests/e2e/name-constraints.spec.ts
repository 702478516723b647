import { chromium } from '@playwright/test';
import https from 'node:https';
import path from 'node:path';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { test, expect } from './support/fixtures.ts';
import { CA_TEMPLATE, CHROMIUM_ARGS, HUB_IP, TEST_HOME } from './support/env.ts';
import { rogueLeaf } from '../support/rogue-leaf.ts';

/** Serves one page over HTTPS with `leaf` + the room intermediate, on the test LAN address. */
async function serve(leaf: { certPem: string; keyPem: string }): Promise<{ port: number; close: () => void }> {
  const chain = leaf.certPem.trimEnd() + '\n' + fs.readFileSync(path.join(CA_TEMPLATE, 'ca', 'intermediate-ca.pem'), 'utf8');
  const server = https.createServer({ cert: chain, key: leaf.keyPem }, (_req, res) => res.end('<title>reached</title>ok'));
  await new Promise<void>((r) => server.listen(0, HUB_IP, () => r()));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

test('a browser that trusts the room CA refuses a certificate outside its name constraints', async () => {
  const caDir = path.join(CA_TEMPLATE, 'ca');
  // Even with the intermediate's key, a certificate for a public name is useless...
  const rogue = await serve(await rogueLeaf(caDir, [{ type: 'dns', value: 'bank.example.com' }], 'bank.example.com'));
  // ...while one for the hub's own LAN address (inside the constraints) is accepted.
  const lan = await serve(await rogueLeaf(caDir, [{ type: 'ip', value: HUB_IP }], 'hub'));
  const browser = await chromium.launch({
    executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP bank.example.com ${HUB_IP}`],
    env: { ...process.env, HOME: TEST_HOME },
  });
  try {
    const page = await browser.newPage();
    await page.goto(`https://${HUB_IP}:${lan.port}/`);
    await expect(page).toHaveTitle('reached');
    const err = await page.goto(`https://bank.example.com:${rogue.port}/`).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toContain('net::ERR_CERT_INVALID');
  } finally {
    await browser.close();
    rogue.close();
    lan.close();
  }
});
