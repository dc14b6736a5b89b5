// A real browser (Debian's chromium, driven by playwright-core) against the production build:
// sign in with Microsoft through the emulator, see the inbox, open a message.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type TestApp } from '../support/app';
import { buildEml } from '../support/mail-fixtures';

const USER = 'ada@contoso.test';
const SCREENSHOTS = path.resolve(__dirname, '../../test-results');
const PLAN_PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(20_000)]);

let app: TestApp;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [app, browser] = await Promise.all([
    startApp({ users: [USER] }),
    chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    }),
  ]);
  app.emulator.setDefaultUser(USER);
  for (let i = 1; i <= 30; i++) {
    await app.dovecot!.save(USER, buildEml({ to: USER, subject: `Update ${i}`, date: new Date(Date.UTC(2024, 0, 1, i)), text: `Update number ${i}` }), { flags: ['\\Seen'] });
  }
  await app.dovecot!.save(
    USER,
    buildEml({
      from: 'Grace Hopper <grace@fabrikam.test>',
      to: USER,
      subject: 'Launch plan',
      date: new Date(Date.UTC(2024, 5, 1, 9)),
      text: 'The plan, in plain text.',
      html: '<h2>Launch plan</h2><p>Countdown starts <b>Monday</b>.</p><script>document.body.innerHTML = "pwned"</script><img src="https://tracker.example/p.gif">',
      attachments: [{ filename: 'plan.pdf', contentType: 'application/pdf', content: PLAN_PDF }],
    }),
  );
  page = await browser.newPage({ viewport: { width: 1200, height: 800 }, acceptDownloads: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

test('sign in, see the inbox, open a message', async () => {
  const remoteRequests: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.hostname === 'tracker.example') remoteRequests.push(url.hostname);
  });

  await page.goto(`${app.url}/`);
  await page.waitForURL(/\/signin/);
  const signIn = page.getByRole('button', { name: 'Sign in with Microsoft' });
  // From the keyboard: the button is reachable and works with Enter.
  await signIn.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(`${app.url}/inbox`, { timeout: 20_000 });

  await expect.poll(() => page.getByRole('link', { name: /Launch plan/ }).count()).toBe(1);
  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Inbox');
  await expect.poll(() => page.getByRole('link', { name: 'Older →' }).count()).toBe(1);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'inbox.png'), fullPage: true });

  await page.getByRole('link', { name: /Launch plan/ }).click();
  await page.waitForURL(/\/inbox\/[^/]+\/\d+\?mailbox=INBOX/);
  await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Launch plan' }).count()).toBe(1);
  await expect.poll(() => page.getByText('plan.pdf').count()).toBe(1);

  // The attachment is a link; following it downloads the attached bytes under their name.
  const attachmentLink = page.getByRole('link', { name: 'plan.pdf' });
  await expect(attachmentLink.getAttribute('href')).resolves.toMatch(/^\/api\/mail\/accounts\/[^/]+\/messages\/\d+\/attachments\/2\?mailbox=INBOX$/);
  const [download] = await Promise.all([page.waitForEvent('download'), attachmentLink.click()]);
  expect(download.suggestedFilename()).toBe('plan.pdf');
  expect(await download.failure()).toBeNull();
  expect(readFileSync((await download.path())!).equals(PLAN_PDF)).toBe(true);
  // Downloading did not navigate away from the message.
  expect(page.url()).toMatch(/\/inbox\/[^/]+\/\d+\?mailbox=INBOX/);

  const frameElement = page.locator('iframe[title="Message content"]');
  await expect(frameElement.getAttribute('sandbox')).resolves.not.toContain('allow-scripts');
  const frame = page.frameLocator('iframe[title="Message content"]');
  await expect(frame.locator('p').first().textContent()).resolves.toContain('Countdown starts Monday.');
  await expect(frame.locator('body').textContent()).resolves.not.toContain('pwned');
  expect(remoteRequests).toEqual([]);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'message.png'), fullPage: true });

  await page.getByRole('link', { name: /Back to Inbox/ }).click();
  await page.waitForURL(/\/inbox\?/);
  await page.getByRole('link', { name: 'Older →' }).click();
  await expect.poll(() => page.getByRole('link', { name: /Update 6\b/ }).count()).toBe(1);
});

test('mailboxes page shows the connected mailbox and its actions', async () => {
  await page.goto(`${app.url}/accounts`);
  // Polled: the page streams (loading state first), so a single early count can miss content.
  await expect.poll(() => page.getByText(USER, { exact: true }).count()).toBeGreaterThan(0);
  await expect.poll(() => page.getByText('Connected', { exact: true }).count()).toBe(1);
  await expect.poll(() => page.getByRole('link', { name: 'Add Microsoft mailbox' }).count()).toBe(1);
  await expect.poll(() => page.getByRole('button', { name: 'Add IMAP mailbox' }).count()).toBe(1);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'accounts-mobile.png'), fullPage: true });
});
