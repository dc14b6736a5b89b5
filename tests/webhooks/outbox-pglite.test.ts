// The outbox's SQL on the embedded database too (PGlite): recording with the dedupe key, the
// near-expiry INSERT … SELECT, claiming due events and delivering them to a real receiver.
// Concurrency itself is tested on PostgreSQL (delivery.test.ts).
import { afterAll, beforeAll, expect, it } from 'vitest';
import pino from 'pino';
import { recordNearExpiryEvents } from '@/lib/cron/record-near-expiry-events';
import type { PrismaClient } from '@/lib/db';
import { claimDueEvents, createOutbox, deliverWebhooks, SIGNATURE_HEADER, verifyWebhookSignature } from '@/lib/webhooks';
import { createTestPglite } from '../support/db';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const DAY_MS = 86_400_000;
const SECRET = 'whsec-pglite-test-9e1d0c4b7a';
let db: PrismaClient;
let close: () => Promise<void>;
let receiver: WebhookReceiver;

beforeAll(async () => {
  ({ db, close } = await createTestPglite());
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await close?.();
  await receiver?.close();
});

it('records once per dedupe key, writes near-expiry events once per day, claims and delivers', async () => {
  const outbox = createOutbox();
  const event = { type: 'app.misconfigured' as const, dedupeKey: 'pglite:app', data: { code: 'AADSTS7000222', scope: 'all' } };
  expect(await db.$transaction((tx) => outbox.record(tx, event))).toBe(true);
  expect(await outbox.record(db, event)).toBe(false);

  const user = await db.user.create({ data: { email: 'old@example.com' } });
  const at = new Date(Date.now() - 85 * DAY_MS);
  const old = await db.mailCredential.create({
    data: { userId: user.id, email: 'old@example.com', authType: 'oauth2', refreshTokenSealed: 'sealed', lastRefreshAt: at, refreshTokenIssuedAt: at },
  });
  const now = Date.now();
  expect(await recordNearExpiryEvents({ db, now, days: 80 })).toBe(1);
  expect(await recordNearExpiryEvents({ db, now, days: 80 })).toBe(0);
  const near = await db.webhookEvent.findFirstOrThrow({ where: { type: 'mailbox.near_expiry' } });
  expect(near.data).toEqual({ credentialId: old.id, email: 'old@example.com', idleDays: 85, thresholdDays: 80 });

  // A claim by another run holds both events: nothing is due for this one.
  expect(await claimDueEvents({ db, owner: 'other', now: Date.now(), limit: 10, leaseMs: 60_000 })).toHaveLength(2);
  expect(await claimDueEvents({ db, owner: 'me', now: Date.now(), limit: 10, leaseMs: 60_000 })).toHaveLength(0);
  await db.webhookEvent.updateMany({ data: { leaseOwner: null, leaseUntil: null } });

  const result = await deliverWebhooks({
    db,
    url: receiver.url,
    secret: SECRET,
    logger: pino({ level: 'silent' }),
    owner: 'me',
    deadline: Date.now() + 10_000,
    maxAttempts: 3,
    timeoutMs: 2_000,
  });
  expect(result).toEqual({ delivered: 2, failed: 0, dead: 0, more: false });
  expect(receiver.received.map((r) => r.json.type).sort()).toEqual(['app.misconfigured', 'mailbox.near_expiry']);
  expect(receiver.received.every((r) => verifyWebhookSignature(r.rawBody, r.headers[SIGNATURE_HEADER.toLowerCase()] as string, SECRET))).toBe(true);
  expect(await db.webhookEvent.count({ where: { status: 'delivered', leaseOwner: null } })).toBe(2);
});
