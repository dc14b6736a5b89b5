// A real browser (Debian's chromium, driven by playwright-core) against the production build: sign
// in, create a knowledge base, be asked for OneDrive consent (the mailbox was connected for mail
// only) and come back, pick a folder through the picker (drive → folder → "More folders" → a
// subfolder), link it and watch its files arrive.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type TestApp } from '../support/app';

const USER = 'ada@contoso.test';
const SCREENSHOTS = path.resolve(__dirname, '../../test-results');

let app: TestApp;
let browser: Browser;
let page: Page;
let driveId: string;
/** Everything that must fail the test: console errors, page errors, 5xx answers. */
const problems: string[] = [];
/** Consent answers the picker is expected to meet (Chromium logs every 4xx fetch as a console error). */
const expected409: string[] = [];

beforeAll(async () => {
  [app, browser] = await Promise.all([
    startApp({ dovecot: false, users: [USER] }),
    chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    }),
  ]);
  app.emulator.setDefaultUser(USER);
  const drive = app.emulator.drive;
  driveId = drive.createDrive(USER);
  const root = drive.rootId(driveId);
  drive.addFile(driveId, root, 'loose.txt', 'not in a folder');
  const projects = drive.addFolder(driveId, root, 'Projects');
  for (let i = 1; i <= 5; i++) drive.addFolder(driveId, projects, `Project ${i}`);
  const fifth = drive.snapshot(driveId, projects).find((e) => e.name === 'Project 5')!.id;
  drive.addFile(driveId, fifth, 'plan.md', '# Plan');
  drive.addFile(driveId, fifth, 'notes.txt', 'Notes');
  drive.createLibrary(drive.createSite({ name: 'Team', members: [USER] }), 'Team Documents');
  // Server-driven paging, so "More folders" is needed to reach Project 5.
  drive.setMaxPageSize(3);

  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (/status of 409/.test(text) && expected409.length > 0) return;
    problems.push(`console: ${text} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`${response.status()} ${new URL(response.url()).pathname}`);
    if (response.status() === 409) expected409.push(new URL(response.url()).pathname);
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

async function noProblems(): Promise<void> {
  await expect(page.locator('body').textContent()).resolves.not.toContain('Something went wrong');
  expect(problems).toEqual([]);
}

test('consent, then pick a folder level by level, link it and see its files', async () => {
  await page.goto(`${app.url}/signin?callbackUrl=${encodeURIComponent('/knowledge')}`);
  await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
  await page.waitForURL(`${app.url}/knowledge`, { timeout: 20_000 });

  await page.getByLabel('Name').fill('Team docs');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/knowledge\/[^/]+$/, { timeout: 20_000 });
  const kbPath = new URL(page.url()).pathname;

  // Mail-only consent: the picker says so and offers the way to allow OneDrive, back to this page.
  const allow = page.getByRole('link', { name: `Allow OneDrive access for ${USER}` });
  await expect.poll(() => allow.count(), { timeout: 15_000 }).toBe(1);
  await expect(page.getByRole('alert').first().textContent()).resolves.toMatch(/not allowed OneDrive access/);
  const href = (await allow.getAttribute('href'))!;
  const reconnect = new URL(href, app.url);
  expect(reconnect.pathname).toBe('/api/mail/connect');
  expect(reconnect.searchParams.get('files')).toBe('1');
  expect(reconnect.searchParams.get('returnTo')).toBe(kbPath);
  expect(expected409.every((p) => p.endsWith('/onedrive/drives'))).toBe(true);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'knowledge-consent.png'), fullPage: true });
  await noProblems();

  // Allowing it goes to Microsoft and comes back to this knowledge base.
  await allow.click();
  await page.waitForURL(`${app.url}${kbPath}`, { timeout: 20_000 });

  // Drives: the own OneDrive first, then the library.
  const oneDrive = page.getByRole('button', { name: 'OneDrive', exact: true });
  await expect.poll(() => oneDrive.count(), { timeout: 15_000 }).toBe(1);
  await expect.poll(() => page.getByRole('button', { name: 'Team Documents' }).count()).toBe(1);
  await expect(page.getByRole('button', { name: 'Link folder and sync' }).isDisabled()).resolves.toBe(true);

  // From the keyboard: focus the drive and press Enter.
  await oneDrive.focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => page.getByRole('button', { name: 'Open Projects' }).count()).toBe(1);
  await expect.poll(() => page.getByText('1 file here').count()).toBe(1);
  await page.getByRole('button', { name: 'Open Projects' }).click();
  await expect.poll(() => page.getByRole('heading', { name: 'Folders in Projects' }).count()).toBe(1);
  await expect.poll(() => page.getByRole('button', { name: /^Open Project \d$/ }).count()).toBe(3);
  await expect(page.getByRole('button', { name: 'Open Project 5' }).count()).resolves.toBe(0);
  await page.getByRole('button', { name: 'More folders' }).click();
  await expect.poll(() => page.getByRole('button', { name: /^Open Project \d$/ }).count()).toBe(5);
  await expect.poll(() => page.getByRole('button', { name: 'More folders' }).count()).toBe(0);
  await page.getByRole('button', { name: 'Open Project 5' }).click();

  // Breadcrumbs and the chosen folder.
  const crumbs = page.getByRole('navigation', { name: 'Folder path' });
  await expect.poll(() => crumbs.getByRole('button', { name: 'Projects' }).count()).toBe(1);
  await expect.poll(() => crumbs.getByText('Project 5').count()).toBe(1);
  await expect.poll(() => page.getByLabel('Chosen folder').textContent()).toContain('/Projects/Project 5');
  await expect.poll(() => page.getByText('No folders here.').count()).toBe(1);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'knowledge-picker.png'), fullPage: true });

  // Up one level by the breadcrumb, and back down.
  await crumbs.getByRole('button', { name: 'Projects' }).click();
  await expect.poll(() => page.getByLabel('Chosen folder').textContent()).not.toContain('Project 5');
  await page.getByRole('button', { name: 'More folders' }).click();
  await page.getByRole('button', { name: 'Open Project 5' }).click();
  await expect.poll(() => page.getByLabel('Chosen folder').textContent()).toContain('/Projects/Project 5');

  await page.getByLabel('Sync every (minutes)').fill('15');
  await page.getByRole('button', { name: 'Link folder and sync' }).click();

  // The link answered 202; the first sync runs after it and the page polls until it is done.
  await expect.poll(() => page.getByText('/Projects/Project 5', { exact: true }).count(), { timeout: 15_000 }).toBe(1);
  await expect.poll(() => page.getByText('plan.md').count(), { timeout: 30_000, interval: 500 }).toBe(1);
  await expect.poll(() => page.getByText('notes.txt').count()).toBe(1);
  await expect.poll(() => page.getByText('Auto-sync every 15 min', { exact: false }).count()).toBe(1);
  await expect(page.getByText('loose.txt').count()).resolves.toBe(0);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'knowledge-linked.png'), fullPage: true });

  const link = await app.db.oneDriveLink.findFirstOrThrow({ select: { driveId: true, folderPath: true, intervalMinutes: true } });
  expect(link).toEqual({ driveId, folderPath: '/Projects/Project 5', intervalMinutes: 15 });
  await noProblems();
});
