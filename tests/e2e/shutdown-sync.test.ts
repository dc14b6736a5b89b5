// On the production build, with webhooks configured: a platform stopping an instance (SIGTERM)
// while it syncs a large, slow OneDrive folder. The instance exits within its bound and hands the
// link's lease back (it is not left for its 5 minutes), keeping the checkpoint; the other
// instance syncs it at once and ends with every file. Then the cron route delivers a signed
// webhook for a revoked grant to a real receiver.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '@/lib/webhooks';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { waitFor } from '../support/net';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const ADA = 'ada@contoso.test';
const WEBHOOK_SECRET = 'whsec-e2e-3c1f6a9d0b7e4f25a8c2';
const FILES = 80;
let app: TestApp;
let receiver: WebhookReceiver;
let ada: SignedIn;
let accountId: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  app = await startApp({ dovecot: false, users: [ADA], instances: 2, env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET } });
  ada = await app.signIn(ADA);
  accountId = (await ada.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
  // The same mailbox, now with OneDrive access.
  app.emulator.setDefaultUser(ADA);
  const start = await ada.get(`/api/mail/connect?files=1&account=${accountId}`);
  const back = await ada.get(start.headers.get('location')!);
  expect((await ada.get(back.headers.get('location')!)).status).toBe(302);
});
afterAll(async () => {
  await app?.stop();
  await receiver?.close();
});

test('SIGTERM mid-sync: bounded exit, lease handed back with the checkpoint, the other instance finishes the folder', async () => {
  const drive = app.emulator.drive;
  const driveId = drive.createDrive(ADA);
  const folderId = drive.addFolder(driveId, drive.rootId(driveId), 'Archive');
  for (let i = 0; i < FILES; i++) drive.addFile(driveId, folderId, `doc${String(i).padStart(3, '0')}.txt`, `document ${i}`);
  // Small pages, slow answers: the first sync takes far longer than the instance may take to stop.
  drive.setPageSize(5);
  drive.setLatency(250);

  const kb = await ada.sendJson<{ id: string }>('POST', '/api/knowledge', { name: 'Archive' });
  expect(kb.status).toBe(201);
  const linked = await ada.sendJson('POST', `/api/knowledge/${kb.body.id}/onedrive`, { accountId, driveId, folderId, folderPath: '/Archive', intervalMinutes: 60 });
  expect(linked.status).toBe(202);
  const linkRow = () => app.db.oneDriveLink.findUniqueOrThrow({ where: { knowledgeBaseId: kb.body.id } });
  // Mid-walk: the lease is held and at least one page is checkpointed.
  await waitFor(async () => {
    const link = await linkRow();
    return link.leaseOwner !== null && link.nextLink !== null;
  }, { timeoutMs: 30_000, intervalMs: 50, what: 'the sync to checkpoint a page' });

  const exit = await app.terminate(0);
  expect(exit.ms).toBeLessThan(11_000);
  expect(exit).toMatchObject({ code: 143, signal: null });
  const left = await linkRow();
  expect(left).toMatchObject({ leaseOwner: null, leaseUntil: null, status: 'idle' });
  expect(left.nextLink).not.toBeNull();
  const before = await app.db.knowledgeFile.count({ where: { knowledgeBaseId: kb.body.id } });
  expect(before).toBeLessThan(FILES);

  // The other instance takes the link at once (not after the 5-minute lease) and finishes it.
  drive.setLatency(0);
  const other = ada.at(app.urls[1]!);
  // Every instance answers as the one public URL (NEXTAUTH_URL), as behind a load balancer.
  const syncNow = await other.fetch(`/api/knowledge/${kb.body.id}/sync`, { method: 'POST', headers: { origin: app.url } });
  expect(syncNow.status).toBe(202);
  await waitFor(async () => {
    const link = await linkRow();
    return link.status === 'idle' && link.leaseOwner === null && link.deltaLink !== null;
  }, { timeoutMs: 60_000, intervalMs: 100, what: 'the other instance to finish the sync' });
  const files = await other.getJson<Array<{ name: string }>>(`/api/knowledge/${kb.body.id}/files`);
  expect(files.status).toBe(200);
  expect(files.body.map((f) => f.name).sort()).toEqual(Array.from({ length: FILES }, (_, i) => `doc${String(i).padStart(3, '0')}.txt`));
});

test('the cron route delivers a signed webhook for a revoked grant, once', async () => {
  app.emulator.revokeGrants(ADA);
  // Idle for 40 days: the cron exercises its refresh token and meets the revoked grant.
  const longAgo = new Date(Date.now() - 40 * 86_400_000);
  await app.db.mailCredential.update({ where: { id: accountId }, data: { lastRefreshAt: longAgo, refreshTokenIssuedAt: longAgo } });
  const cron = async () => {
    const response = await ada.at(app.urls[1]!).fetch('/api/cron/refresh', { method: 'GET', headers: { authorization: `Bearer ${app.cronSecret}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as { needsReauth: number; webhooks: { delivered: number; failed: number } };
  };
  const summary = await cron();
  expect(summary).toMatchObject({ needsReauth: 1, webhooks: { delivered: 1, failed: 0 } });
  const events = receiver.ofType('mailbox.needs_reauth');
  expect(events).toHaveLength(1);
  expect(events[0]!.json.data).toMatchObject({ credentialId: accountId, email: ADA });
  expect(verifyWebhookSignature(events[0]!.rawBody, events[0]!.headers[SIGNATURE_HEADER.toLowerCase()] as string, WEBHOOK_SECRET)).toBe(true);
  expect((await cron()).webhooks).toEqual({ delivered: 0, failed: 0, dead: 0 });
  expect(receiver.ofType('mailbox.needs_reauth')).toHaveLength(1);
  expect(app.output()).not.toContain(WEBHOOK_SECRET);
});

test('reconnecting the mailbox through Microsoft sends mailbox.reconnected with the next cron run', async () => {
  // Instance 0 is gone: the load balancer sends everything to instance 1, the callback included.
  const other = ada.at(app.urls[1]!);
  const start = await other.get(`/api/mail/connect?account=${accountId}`);
  expect(start.status).toBe(302);
  const back = await other.get(start.headers.get('location')!);
  const callback = new URL(back.headers.get('location')!);
  expect((await other.get(`${app.urls[1]}${callback.pathname}${callback.search}`)).status).toBe(302);
  expect((await app.db.mailCredential.findUniqueOrThrow({ where: { id: accountId } })).status).toBe('active');
  const response = await other.fetch('/api/cron/refresh', { method: 'GET', headers: { authorization: `Bearer ${app.cronSecret}` } });
  expect(response.status).toBe(200);
  const reconnected = receiver.ofType('mailbox.reconnected');
  expect(reconnected.map((r) => r.json.data)).toEqual([{ credentialId: accountId, email: ADA, previousStatus: 'needs_reauth' }]);
  expect(verifyWebhookSignature(reconnected[0]!.rawBody, reconnected[0]!.headers[SIGNATURE_HEADER.toLowerCase()] as string, WEBHOOK_SECRET)).toBe(true);
});
