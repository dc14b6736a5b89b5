// Operator webhooks end to end on PostgreSQL: each event caused by its real trigger (the
// emulator revoking a grant, a reconnect, the 90-day cliff, a broken client secret, a failing
// OneDrive sync), written with the change that causes it, delivered signed by the cron to a real
// local receiver, retried after failures, and never sent twice, even by two concurrent runs.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunCronOptions } from '@/lib/cron';
import { syncOneDriveLink } from '@/lib/onedrive';
import { storeGrant } from '@/lib/tokens';
import { CredentialTokenStore } from '@/lib/tokens/credential-token-store';
import { IMAP_SCOPE } from '@/lib/microsoft/scopes';
import { createOutbox, EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature, type EventOutbox } from '@/lib/webhooks';
import { createCronWorld, type CronWorld } from '../cron/support';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'whsec-delivery-test-5f0c9a1e7b2d4c68';
let w: CronWorld;
let receiver: WebhookReceiver;
const outbox: EventOutbox = createOutbox();

beforeAll(async () => {
  [w, receiver] = await Promise.all([createCronWorld(), startWebhookReceiver()]);
});
afterEach(async () => {
  receiver.reset();
  await w.reset();
  await db().webhookEvent.deleteMany();
});
afterAll(async () => {
  await w?.close();
  await receiver?.close();
});

const db = () => w.f.database.db;
const webhooks = (overrides: Partial<NonNullable<RunCronOptions['webhooks']>> = {}) => ({
  url: receiver.url,
  secret: SECRET,
  maxAttempts: 5,
  timeoutMs: 5_000,
  ...overrides,
});
/** A cron run as the runtime wires it with webhooks on: the token layer, syncs and the run share the outbox. */
const run = (overrides: Partial<RunCronOptions> = {}) =>
  w.run({
    tokens: w.service({ outbox }),
    outbox,
    webhooks: webhooks(),
    syncLink: (o) => syncOneDriveLink({ ...o, graphUrl: w.f.emulator.graphUrl, outbox }),
    ...overrides,
  });
const verified = (r: { rawBody: string; headers: Record<string, unknown> }) =>
  verifyWebhookSignature(r.rawBody, r.headers[SIGNATURE_HEADER.toLowerCase()] as string, SECRET);

describe('webhooks', () => {
  it('a revoked grant: mailbox.needs_reauth written with the mark, delivered signed once, not again', async () => {
    const { credentialId, email } = await w.seed();
    await w.makeIdle([credentialId], 40);
    w.f.emulator.revokeGrants(email);

    const first = await run();
    expect(first).toMatchObject({ needsReauth: 1, webhooks: { delivered: 1, failed: 0, dead: 0 } });
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(got.json).toMatchObject({ type: 'mailbox.needs_reauth', data: { credentialId, email, code: 'AADSTS50173' } });
    expect(verified(got)).toBe(true);
    expect(got.headers[EVENT_ID_HEADER.toLowerCase()]).toBe(got.json.id);
    expect(got.headers['content-type']).toBe('application/json');
    const row = await db().webhookEvent.findUniqueOrThrow({ where: { id: got.json.id } });
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, leaseOwner: null, lastError: null });

    // The same change met again (another process re-reading the same token version) adds nothing.
    const second = await run();
    expect(second.webhooks).toEqual({ delivered: 0, failed: 0, dead: 0 });
    expect(receiver.received).toHaveLength(1);
    expect(await db().webhookEvent.count()).toBe(1);
    // The secret reaches no log line.
    expect(JSON.stringify(w.logs)).not.toContain(SECRET);
  });

  it('retries after a 500 with backoff: the event survives the failed delivery, then goes out with the same id', async () => {
    const { credentialId, email } = await w.seed();
    await w.makeIdle([credentialId], 40);
    w.f.emulator.revokeGrants(email);
    receiver.answer({ status: 500 });

    const first = await run();
    expect(first.webhooks).toEqual({ delivered: 0, failed: 1, dead: 0 });
    const [pending] = await db().webhookEvent.findMany();
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, lastError: 'http_500', leaseOwner: null });
    // Backoff: 15–30 s for the first retry; not due in the next run yet.
    expect(pending!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 10_000);
    expect((await run()).webhooks).toEqual({ delivered: 0, failed: 0, dead: 0 });

    await db().webhookEvent.update({ where: { id: pending!.id }, data: { nextAttemptAt: new Date(Date.now() - 1000) } });
    const later = await run();
    expect(later.webhooks).toEqual({ delivered: 1, failed: 0, dead: 0 });
    expect(receiver.received.map((r) => [r.json.id, r.answered])).toEqual([
      [pending!.id, 500],
      [pending!.id, 200],
    ]);
    expect(receiver.received.every(verified)).toBe(true);
    expect(await db().webhookEvent.findUniqueOrThrow({ where: { id: pending!.id } })).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('honours Retry-After, and keeps an event that ran out of attempts as dead', async () => {
    await db().$transaction((tx) => outbox.record(tx, { type: 'app.misconfigured', dedupeKey: 'test:retry-after', data: { code: 'x' } }));
    receiver.answer({ status: 503, headers: { 'retry-after': '3600' } });
    const first = await run({ webhooks: webhooks({ maxAttempts: 2 }) });
    expect(first.webhooks).toMatchObject({ failed: 1, dead: 0 });
    const row = await db().webhookEvent.findFirstOrThrow();
    expect(row.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(Date.now() + 3_500_000);

    await db().webhookEvent.update({ where: { id: row.id }, data: { nextAttemptAt: new Date(Date.now() - 1000) } });
    receiver.answer({ status: 404 });
    const second = await run({ webhooks: webhooks({ maxAttempts: 2 }) });
    expect(second.webhooks).toEqual({ delivered: 0, failed: 1, dead: 1 });
    expect(await db().webhookEvent.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'dead', attempts: 2, lastError: 'http_404' });
    expect(w.logs.some((l) => l.outcome === 'dead' && l.alert === 'operator' && l.eventId === row.id)).toBe(true);
    // Dead stays dead: no further attempts.
    await db().webhookEvent.update({ where: { id: row.id }, data: { nextAttemptAt: new Date(Date.now() - 1000) } });
    expect((await run()).webhooks).toEqual({ delivered: 0, failed: 0, dead: 0 });
  });

  it('a timeout counts as a failed attempt', async () => {
    await outbox.record(db(), { type: 'app.misconfigured', dedupeKey: 'test:timeout', data: { code: 'x' } });
    receiver.answer({ status: 200, delayMs: 3_000 });
    const first = await run({ webhooks: webhooks({ timeoutMs: 300 }) });
    expect(first.webhooks).toMatchObject({ delivered: 0, failed: 1 });
    expect(await db().webhookEvent.findFirstOrThrow()).toMatchObject({ status: 'pending', lastError: 'timeout' });
  });

  it('two concurrent cron runs deliver every event exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      await outbox.record(db(), { type: 'mailbox.near_expiry', dedupeKey: `test:concurrent:${i}`, data: { i } });
    }
    for (const row of await db().webhookEvent.findMany({ select: { id: true } })) ids.push(row.id);
    receiver.setDelay(30);
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.webhooks.delivered + b.webhooks.delivered).toBe(40);
    // Both runs took part (each claimed past the other's locked rows), and none was sent twice.
    expect(a.webhooks.delivered).toBeGreaterThan(0);
    expect(b.webhooks.delivered).toBeGreaterThan(0);
    expect(receiver.received.map((r) => r.json.id).sort()).toEqual(ids.sort());
    expect(await db().webhookEvent.count({ where: { status: 'delivered' } })).toBe(40);
  });

  it('the same event recorded by racing writers exists once', async () => {
    const event = { type: 'app.misconfigured' as const, dedupeKey: 'test:race', data: { code: 'x' } };
    const added = await Promise.all(Array.from({ length: 8 }, () => db().$transaction((tx) => outbox.record(tx, event))));
    expect(added.filter(Boolean)).toHaveLength(1);
    expect(await db().webhookEvent.count()).toBe(1);
  });

  it('a reconnect after needs_reauth: mailbox.reconnected with the new grant; signing in again while active sends nothing', async () => {
    const { credentialId, email, userId } = await w.seed();
    await w.makeIdle([credentialId], 40);
    w.f.emulator.revokeGrants(email);
    await run();
    const user = w.f.emulator.addUser({ email });
    const grant = () =>
      storeGrant({
        db: db(),
        cache: w.f.cache,
        secrets: w.f.secrets,
        logger: w.logger,
        skewSeconds: 300,
        userId,
        email,
        providerAccountId: user.oid,
        tenantId: user.tid,
        refreshToken: w.f.emulator.issueRefreshToken({ email, scopes: ['openid', 'offline_access', IMAP_SCOPE] }),
        grantedScopes: ['openid', 'offline_access', IMAP_SCOPE],
        outbox,
      });
    expect(await grant()).toBe(credentialId);
    await grant();
    await run();
    expect(receiver.received.map((r) => r.json.type)).toEqual(['mailbox.needs_reauth', 'mailbox.reconnected']);
    expect(receiver.ofType('mailbox.reconnected')[0]!.json.data).toEqual({ credentialId, email, previousStatus: 'needs_reauth' });
  });

  it('near the 90-day cliff with a failing refresh: mailbox.near_expiry once per credential per day', async () => {
    const { credentialId } = await w.seed();
    await w.makeIdle([credentialId], 85);
    w.f.emulator.failTokenRequests({ status: 503, error: 'temporarily_unavailable', times: 20 });
    const tokens = w.service({ outbox, retry: { attempts: 1, baseMs: 1, maxMs: 1, budgetMs: 1 } });
    await run({ tokens });
    await db().mailCredential.update({ where: { id: credentialId }, data: { nextRetryAt: null } });
    await run({ tokens });
    const near = receiver.ofType('mailbox.near_expiry');
    expect(near).toHaveLength(1);
    expect(near[0]!.json.data).toEqual({ credentialId, email: expect.any(String), idleDays: 85, thresholdDays: 80 });
  });

  it('a broken client secret: app.misconfigured once per code, however many refreshes and processes meet it', async () => {
    const ids = await Promise.all(Array.from({ length: 3 }, () => w.seed()));
    await w.makeIdle(ids.map((s) => s.credentialId), 40);
    w.f.emulator.failTokenRequests({ status: 401, error: 'invalid_client', aadsts: [7000222], times: 100 });
    await run();
    await run(); // a new token service: as another process would
    expect(receiver.received.map((r) => [r.json.type, r.json.data])).toEqual([['app.misconfigured', { code: 'AADSTS7000222', scope: 'all' }]]);
    // Not the users' fault: no mailbox event.
    expect(await db().webhookEvent.count()).toBe(1);
  });

  it('a OneDrive folder that disappears: onedrive.sync_failed when the link starts failing, not on every retry', async () => {
    const owner = await w.seed({ graph: true });
    const drive = w.f.emulator.drive;
    const driveId = drive.createDrive(owner.email);
    const folderId = drive.addFolder(driveId, drive.rootId(driveId), 'Knowledge');
    drive.addFile(driveId, folderId, 'a.txt', 'alpha');
    const kb = await db().knowledgeBase.create({ data: { userId: owner.userId, name: 'Docs' } });
    const link = await db().oneDriveLink.create({
      data: { knowledgeBaseId: kb.id, credentialId: owner.credentialId, driveId, folderId, folderPath: '/Knowledge', intervalMinutes: 60 },
    });
    expect((await run()).syncs).toMatchObject({ run: 1, failed: 0 });
    drive.remove(driveId, folderId);
    await db().oneDriveLink.update({ where: { id: link.id }, data: { nextSyncAt: new Date(Date.now() - 1000) } });
    expect((await run()).syncs).toMatchObject({ run: 1, failed: 1 });
    await db().oneDriveLink.update({ where: { id: link.id }, data: { nextSyncAt: new Date(Date.now() - 1000) } });
    expect((await run()).syncs).toMatchObject({ run: 1, failed: 1 });
    const failed = receiver.ofType('onedrive.sync_failed');
    expect(failed.map((r) => r.json.data)).toEqual([
      { linkId: link.id, knowledgeBaseId: kb.id, credentialId: owner.credentialId, outcome: 'error', code: 'folder_not_found' },
    ]);
    expect(receiver.received).toHaveLength(1);
  });

  it('a needs_reauth mark superseded by a reconnect writes neither the mark nor its event', async () => {
    const { credentialId } = await w.seed();
    const store = new CredentialTokenStore(db(), w.f.secrets, outbox);
    const stale = await store.read(credentialId, 'imap');
    // The owner reconnects meanwhile: a newer token version.
    await db().mailCredential.update({ where: { id: credentialId }, data: { tokenVersion: { increment: 1 } } });
    await store.markNeedsReauth({ state: stale, code: 'invalid_grant' });
    expect(await db().mailCredential.findUniqueOrThrow({ where: { id: credentialId } })).toMatchObject({ status: 'active' });
    expect(await db().webhookEvent.count()).toBe(0);
    // Marked for the current version: the event comes with it, once however often it is marked.
    const current = await store.read(credentialId, 'imap');
    await store.markNeedsReauth({ state: current, code: 'invalid_grant' });
    await store.markNeedsReauth({ state: current, code: 'invalid_grant' });
    expect(await db().webhookEvent.findMany({ select: { type: true, dedupeKey: true } })).toEqual([
      { type: 'mailbox.needs_reauth', dedupeKey: `mailbox.needs_reauth:${credentialId}:${current.tokenVersion}` },
    ]);
  });

  it('webhooks off (no outbox): nothing is written', async () => {
    const { credentialId, email } = await w.seed();
    await w.makeIdle([credentialId], 40);
    w.f.emulator.revokeGrants(email);
    const summary = await w.run();
    expect(summary).toMatchObject({ needsReauth: 1, webhooks: { delivered: 0, failed: 0, dead: 0 } });
    expect(await db().webhookEvent.count()).toBe(0);
  });
});
