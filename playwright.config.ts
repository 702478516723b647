import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, TEST_HOME } from './tests/e2e/support/env.ts';

// Browser tests run inside a network namespace (scripts/with-netns.sh) with a private test LAN;
// `npm run test:e2e` sets that up. One worker: each test drives several browser contexts.
export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './tests/e2e/support/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  retries: process.env.CI ? 1 : 0,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: 'list',
  use: {
    browserName: 'chromium',
    headless: true,
    ignoreHTTPSErrors: false,
    launchOptions: {
      executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      // HOME holds the NSS database that trusts the test room CA.
      env: { ...process.env, HOME: TEST_HOME },
    },
    trace: 'retain-on-failure',
  },
});
