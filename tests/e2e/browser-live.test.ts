// An open inbox page in Debian's Chromium against the production build follows the mailbox
// without a reload: a message delivered to Dovecot appears on top within seconds, a flag set
// elsewhere shows, a message deleted elsewhere vanishes; leaving the page (in-app and full
// navigation) closes the stream without a console error. Where the platform cannot hold a stream
// (MAIL_LIVE_UPDATES=poll) the page polls instead and never opens one. Screenshots in
// test-results/live/ and test-results/live-poll/.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { launchBrowser, watchedPage, type WatchedPage } from '../support/browser';
import { buildEml } from '../support/mail-fixtures';

const USER = 'ada@contoso.test';
let app: TestApp;
let browser: Browser;
let tab: WatchedPage;
/** The same person in another client (a phone, Outlook) acting on the mailbox. */
let elsewhere: SignedIn;
let account: string;

beforeAll(async () => {
  [app, browser] = await Promise.all([startApp({ users: [USER] }), launchBrowser()]);
  app.emulator.setDefaultUser(USER);
  await app.dovecot!.save(USER, buildEml({ to: USER, subject: 'Yesterday’s note', date: new Date(Date.UTC(2024, 0, 1)) }), { flags: ['\\Seen'] });
  tab = await watchedPage(browser, app.url, { screenshots: 'live' });
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const poll = (count: () => Promise<number>) => expect.poll(count, { timeout: 15_000 });

async function step(name: string): Promise<void> {
  await tab.shot(name);
  expect(tab.problems()).toEqual([]);
}

test('an open inbox shows new mail, flag changes and deletions without reloading', async () => {
  const { page } = tab;
  await page.goto(`${app.url}/`);
  await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
  await page.waitForURL(`${app.url}/inbox`, { timeout: 20_000 });
  await poll(() => page.getByRole('link', { name: /Yesterday’s note/ }).count()).toBe(1);
  await poll(() => page.locator('[data-live="live"]').count()).toBe(1);
  await step('live-inbox');
  // A reload would lose this mark: it must survive every step below.
  await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
  const sameDocument = () => page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);

  await app.dovecot!.save(USER, buildEml({ from: 'Grace Hopper <grace@fabrikam.test>', to: USER, subject: 'Just delivered' }));
  await poll(() => page.getByRole('link', { name: /Unread: Just delivered/ }).count()).toBe(1);
  // On top of the list.
  await expect(page.locator('ol.messages li').first().textContent()).resolves.toContain('Just delivered');
  await expect(page.locator('ol.messages li').first().textContent()).resolves.toContain('Grace Hopper');
  // The rest of the page (the folder's count) catches up too.
  await poll(() => page.getByRole('heading', { level: 1, name: /2 messages/ }).count()).toBe(1);
  await step('live-new-mail');

  elsewhere = await app.signIn(USER);
  account = (await elsewhere.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
  const list = (await elsewhere.getJson<{ messages: Array<{ uid: number; subject: string }> }>(`/api/mail/accounts/${account}/messages`)).body.messages;
  const fresh = list.find((m) => m.subject === 'Just delivered')!.uid;
  const old = list.find((m) => m.subject === 'Yesterday’s note')!.uid;
  expect((await elsewhere.sendJson('PATCH', `/api/mail/accounts/${account}/messages/${fresh}?mailbox=INBOX`, { seen: true, flagged: true })).status).toBe(200);
  await poll(() => page.getByRole('link', { name: /^Grace Hopper\s*⚑\s*Flagged: Just delivered/ }).count()).toBe(1);
  expect(await page.getByRole('link', { name: /Unread: Just delivered/ }).count()).toBe(0);
  await step('live-flagged');

  expect((await elsewhere.sendJson('DELETE', `/api/mail/accounts/${account}/messages/${old}?mailbox=INBOX`)).status).toBe(204);
  await poll(() => page.getByRole('link', { name: /Yesterday’s note/ }).count()).toBe(0);
  await step('live-deleted');
  expect(await sameDocument()).toBe(true);
});

test('leaving the page closes the stream quietly, in-app and by full navigation', async () => {
  const { page } = tab;
  await page.getByRole('link', { name: /Just delivered/ }).click();
  await page.waitForURL(/\/inbox\/[^/]+\/\d+\?mailbox=INBOX/);
  await poll(() => page.getByRole('heading', { level: 1, name: 'Just delivered' }).count()).toBe(1);
  await step('live-left-in-app');
  await page.getByRole('link', { name: /Back to Inbox/ }).click();
  await poll(() => page.locator('[data-live="live"]').count()).toBe(1);
  await page.goto(`${app.url}/accounts`);
  await poll(() => page.getByText(USER, { exact: true }).count()).toBeGreaterThan(0);
  await step('live-left-by-navigation');
});

test('with MAIL_LIVE_UPDATES=poll the page polls instead of holding a stream', async () => {
  const polling = await startApp({ users: [USER], env: { MAIL_LIVE_UPDATES: 'poll', MAIL_LIVE_POLL_SECONDS: '5' } });
  try {
    polling.emulator.setDefaultUser(USER);
    const other = await watchedPage(browser, polling.url, { screenshots: 'live-poll' });
    const { page } = other;
    const streams: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.endsWith('/events')) streams.push(request.url());
    });
    await page.goto(`${polling.url}/`);
    await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
    await page.waitForURL(`${polling.url}/inbox`, { timeout: 20_000 });
    await poll(() => page.locator('[data-live="polling"]').count()).toBe(1);
    await expect(page.locator('[data-live="polling"]').textContent()).resolves.toContain('every 5 seconds');
    await polling.dovecot!.save(USER, buildEml({ to: USER, subject: 'Found by polling' }));
    await poll(() => page.getByRole('link', { name: /Found by polling/ }).count()).toBe(1);
    await other.shot('polled');
    expect(streams).toEqual([]);
    expect(other.problems()).toEqual([]);
    await page.context().close();
  } finally {
    await polling.stop();
  }
});
