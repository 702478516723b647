/**
 * Moving around the app as a person does: the room's sections are tabs (a phone's tab bar, a
 * laptop's rail; app/shell/). A page behind a tab is opened by its tab, or through "More" when the
 * phone's bar has no room for it. Ids are the feature registry's (src/app/feature-registry.ts).
 */
import { expect, type Page } from '@playwright/test';

export function sections(page: Page) {
  return page.getByRole('navigation', { name: 'Room sections' });
}

/** The page of a view (`room`, `timeline`, `notes`, `files`, `board`, `voice`, `connect`, `about`, `more`). */
export function view(page: Page, id: string) {
  return page.locator(`section.page[data-view="${id}"]`);
}

/** Opens a view by its tab (through "More" when it is not on the bar). */
export async function openView(page: Page, id: string): Promise<void> {
  const nav = sections(page);
  await expect(nav).toBeVisible();
  const tab = nav.locator(`a[data-nav="${id}"]`);
  if ((await tab.count()) > 0) {
    await tab.click();
  } else {
    await nav.locator('a[data-nav="more"]').click();
    await view(page, 'more').locator(`a[data-nav="${id}"]`).click();
  }
  await expect(view(page, id)).toBeVisible();
}

/** Opens a view unless it is on screen already (a laptop keeps the people and the timeline beside every page). */
export async function showView(page: Page, id: string): Promise<void> {
  await expect(sections(page)).toBeVisible();
  if (!(await view(page, id).isVisible())) await openView(page, id);
}
