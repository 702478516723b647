/** `test` with a running hub per test (`hubOptions` sets its flags); stopped afterwards. */
import { test as base, expect } from '@playwright/test';
import { TestHub, type HubOptions } from './hub.ts';

export const test = base.extend<{ hubOptions: HubOptions; hub: TestHub }>({
  hubOptions: [{}, { option: true }],
  hub: async ({ hubOptions }, use, testInfo) => {
    const hub = new TestHub(testInfo.titlePath[1]?.replace(/\W+/g, '-').slice(0, 30) ?? 'hub', hubOptions);
    await hub.start();
    await use(hub);
    await hub.stop();
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('hub output', { body: hub.output, contentType: 'text/plain' });
  },
});

export { expect };
