// Sending in Debian's Chromium against the production build, in the order a person does it: sign
// in, write a new message and be asked once to allow sending (the mailbox was connected for mail
// only), come back to the compose page and send with the keyboard; then open a message, reply and
// forward it. A real SMTP server (STARTTLS, XOAUTH2 checked against the emulator) delivers into
// Dovecot; every step fails on console errors, failed requests, server errors or error screens.
import type { Browser } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type TestApp } from '../support/app';
import { launchBrowser, watchedPage, type WatchedPage } from '../support/browser';
import { buildEml } from '../support/mail-fixtures';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

const USER = 'ada@contoso.test';
const FRIEND = 'grace@fabrikam.test';

let app: TestApp;
let smtp: TestSmtpServer;
let browser: Browser;
let tab: WatchedPage;

beforeAll(async () => {
  smtp = await startSmtpServer({ introspectionUrl: () => app.emulator.smtpIntrospectionUrl, deliverTo: () => app.dovecot! });
  [app, browser] = await Promise.all([startApp({ users: [USER], env: smtp.appEnv }), launchBrowser()]);
  app.emulator.setDefaultUser(USER);
  await app.dovecot!.save(
    USER,
    buildEml({ from: `Grace Hopper <${FRIEND}>`, to: USER, cc: `Linus <linus@fabrikam.test>, ${USER}`, subject: 'Conference talk', text: 'Will you give the keynote?', attachments: [{ filename: 'agenda.txt', contentType: 'text/plain', content: 'Day 1: keynote' }] }).replace(
      /^Message-ID: .*$/m,
      'Message-ID: <talk-1@fabrikam.test>',
    ),
  );
  tab = await watchedPage(browser, app.url, { screenshots: 'compose' });
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await smtp?.stop();
});

async function step(name: string): Promise<void> {
  await tab.shot(name);
  expect(tab.problems()).toEqual([]);
}
const poll = (count: () => Promise<number>) => expect.poll(count, { timeout: 20_000 });
const lastReceived = async () => simpleParser(smtp.received.at(-1)!.raw);

test('new message: consent asked once, then sent from the keyboard', async () => {
  const { page } = tab;
  await page.goto(`${app.url}/`);
  await page.waitForURL(/\/signin/);
  await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
  await page.waitForURL(`${app.url}/inbox`, { timeout: 20_000 });
  await page.getByRole('link', { name: 'New message' }).click();
  await page.waitForURL(/\/inbox\/[^/]+\/compose$/);
  await step('compose');

  // The mailbox was connected for reading only: the first send is a handled 409 with a way out.
  tab.expectFailure((url, status) => url.includes('/send') && status === 409);
  await page.getByLabel('To', { exact: true }).fill(`Grace <${FRIEND}>`);
  await page.getByLabel('Subject', { exact: true }).fill('Hello from the browser');
  await page.getByLabel('Message', { exact: true }).fill('Typed in Chromium.');
  await page.getByRole('button', { name: 'Send' }).click();
  const reconnect = page.getByRole('link', { name: 'Reconnect to allow sending' });
  await poll(() => reconnect.count()).toBe(1);
  await poll(() => page.getByRole('alert').filter({ hasText: 'has not allowed sending mail yet' }).count()).toBe(1);
  expect(smtp.received).toHaveLength(0);
  await step('consent-needed');

  // The emulator consents and sends the browser back to the compose page, draft intact.
  await reconnect.click();
  await page.waitForURL(/\/inbox\/[^/]+\/compose$/, { timeout: 20_000 });
  await poll(async () => (await page.getByLabel('Message', { exact: true }).inputValue()) === 'Typed in Chromium.' ? 1 : 0).toBe(1);
  await expect(page.getByLabel('To', { exact: true }).inputValue()).resolves.toBe(`Grace <${FRIEND}>`);
  await expect(page.getByLabel('Subject', { exact: true }).inputValue()).resolves.toBe('Hello from the browser');
  await page.getByLabel('Message', { exact: true }).focus();
  await page.keyboard.press('Control+Enter');
  await page.waitForURL(/\/inbox\?.*sent=1/, { timeout: 20_000 });
  await poll(() => page.getByRole('status').filter({ hasText: 'Message sent.' }).count()).toBe(1);
  expect(smtp.received.at(-1)!.to).toEqual([FRIEND]);
  const sent = await lastReceived();
  expect(sent.to).toMatchObject({ value: [{ name: 'Grace', address: FRIEND }] });
  expect(sent.subject).toBe('Hello from the browser');
  expect(sent.text).toContain('Typed in Chromium.');
  await step('sent');
});

test('reply and forward from the message page', async () => {
  const { page } = tab;
  await page.getByRole('link', { name: /Conference talk/ }).click();
  await poll(() => page.getByRole('heading', { level: 1, name: 'Conference talk' }).count()).toBe(1);
  await page.getByRole('link', { name: 'Reply', exact: true }).click();
  await page.waitForURL(/\/compose\?reply=\d+/);
  // Prefilled: the sender and "Re:"; the cursor is in the message.
  await expect(page.getByLabel('To', { exact: true }).inputValue()).resolves.toBe(`Grace Hopper <${FRIEND}>`);
  await expect(page.getByLabel('Subject', { exact: true }).inputValue()).resolves.toBe('Re: Conference talk');
  await page.keyboard.type('Gladly.');
  await step('reply');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForURL(/\/inbox\/[^/]+\/\d+\?mailbox=INBOX&sent=1/, { timeout: 20_000 });
  await poll(() => page.getByRole('status').filter({ hasText: 'Message sent.' }).count()).toBe(1);
  const reply = await lastReceived();
  expect(reply.inReplyTo).toBe('<talk-1@fabrikam.test>');
  expect(reply.text).toMatch(/^Gladly\.\n\nOn .* wrote:\n> Will you give the keynote\?/);
  await step('replied');

  // Reply all adds the other recipients as Cc, never oneself.
  await page.getByRole('link', { name: 'Reply all', exact: true }).click();
  await page.waitForURL(/\/compose\?replyAll=\d+/);
  await expect(page.getByLabel('To', { exact: true }).inputValue()).resolves.toBe(`Grace Hopper <${FRIEND}>`);
  await expect(page.getByLabel('Cc', { exact: true }).inputValue()).resolves.toBe('Linus <linus@fabrikam.test>');
  await step('reply-all');
  await page.getByRole('link', { name: '← Back' }).click();
  await page.waitForURL(/\/inbox\/[^/]+\/\d+\?mailbox=INBOX$/);

  await page.getByRole('link', { name: 'Forward', exact: true }).click();
  await page.waitForURL(/\/compose\?forward=\d+/);
  await expect(page.getByLabel('Subject', { exact: true }).inputValue()).resolves.toBe('Fwd: Conference talk');
  await page.getByLabel('To', { exact: true }).fill('linus@fabrikam.test');
  await page.getByLabel('Message', { exact: true }).fill('For your calendar.');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForURL(/sent=1/, { timeout: 20_000 });
  const forward = await lastReceived();
  expect(forward.subject).toBe('Fwd: Conference talk');
  expect(forward.attachments.map((a) => a.filename)).toEqual(['agenda.txt']);
  await step('forwarded');
});

test('no answer from the app ever carried a token, a code or a secret', () => {
  expect(app.secretsInResponses()).toEqual([]);
});
