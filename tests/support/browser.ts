// Debian's Chromium driven by playwright-core, for tests of pages on the production build. A
// watched page records everything a person would count as broken: console errors, uncaught page
// errors, failed requests and server errors, and error screens. `problems()` must stay empty.
//   const browser = await launchBrowser();
//   const tab = await watchedPage(browser, app.url, { screenshots: 'journeys' });
//   ...; await tab.shot('inbox'); expect(tab.problems()).toEqual([]);
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const SCREENSHOT_ROOT = path.resolve(__dirname, '../../test-results');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface WatchedPage {
  page: Page;
  /** What went wrong so far, in words; a journey ends with this empty. */
  problems(): string[];
  /** A request the step provokes on purpose (e.g. a 409 the page handles): not a problem. */
  expectFailure(match: (url: string, status: number) => boolean): void;
  /** Fails unless the page is free of error screens right now, then saves a screenshot. */
  shot(name: string): Promise<void>;
}

const ERROR_SCREENS = ['Something went wrong', 'Application error', 'This page could not be found', 'Internal Server Error'];

export async function watchedPage(browser: Browser, appUrl: string, options: { screenshots: string; width?: number; height?: number }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1200, height: options.height ?? 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const dir = path.join(SCREENSHOT_ROOT, options.screenshots);
  // This run's steps only: numbered files of an earlier run would interleave with them.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const problems: string[] = [];
  const expected: Array<(url: string, status: number) => boolean> = [];
  const ours = (url: string) => url.startsWith(appUrl);
  let shots = 0;

  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location().url;
    // The browser's own line for a response we expected to fail (e.g. a handled 409).
    const status = /Failed to load resource: the server responded with a status of (\d+)/.exec(message.text())?.[1];
    if (status && expected.some((match) => match(url, Number(status)))) return;
    problems.push(`console error: ${message.text()} (${url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.name}: ${error.message}`));
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? '';
    // Navigations away and downloads abort the requests of the page being left; not a failure.
    if (/ERR_ABORTED/.test(failure)) return;
    if (ours(request.url())) problems.push(`request failed: ${request.method()} ${request.url()} ${failure}`);
  });
  page.on('response', (response) => {
    const url = response.url();
    const status = response.status();
    if (!ours(url) || status < 400) return;
    if (expected.some((match) => match(url, status))) return;
    problems.push(`HTTP ${status}: ${response.request().method()} ${url}`);
  });

  return {
    page,
    problems: () => [...problems],
    expectFailure: (match) => expected.push(match),
    async shot(name) {
      const text = (await page.locator('body').innerText().catch(() => '')) ?? '';
      for (const screen of ERROR_SCREENS) if (text.includes(screen)) problems.push(`error screen "${screen}" at ${page.url()}`);
      shots += 1;
      await page.screenshot({ path: path.join(dir, `${String(shots).padStart(2, '0')}-${name}.png`), fullPage: true });
    },
  };
}
