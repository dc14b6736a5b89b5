// `mailbox.near_expiry` events: one per credential per UTC day while its refresh token has gone
// unused past CRON_NEAR_EXPIRY_DAYS (the same selection as find-near-expiry.ts, uncapped). One
// INSERT … SELECT … ON CONFLICT DO NOTHING: atomic, and the dedupe key makes a second event for
// the same credential and day impossible, however many runs overlap.
import { Prisma, type PrismaClient } from '../db';
import { utcDay } from '../webhooks';
import { sqlInstant } from './sql-time';

const LAST_USED = Prisma.sql`COALESCE(m."lastRefreshAt", m."refreshTokenIssuedAt", m."createdAt")`;
const DAY_MS = 86_400_000;

/** Returns how many events were added (0 when today's were already written). */
export async function recordNearExpiryEvents(options: { db: PrismaClient; now: number; days: number }): Promise<number> {
  const { db, now, days } = options;
  const day = utcDay(now);
  return db.$executeRaw`
    INSERT INTO "WebhookEvent" (id, type, "dedupeKey", data, "nextAttemptAt", "createdAt")
    SELECT gen_random_uuid()::text,
           'mailbox.near_expiry',
           'mailbox.near_expiry:' || m.id || ':' || ${day},
           jsonb_build_object(
             'credentialId', m.id,
             'email', m.email,
             'idleDays', floor(EXTRACT(EPOCH FROM (${sqlInstant(now)} - ${LAST_USED})) / 86400)::int,
             'thresholdDays', ${days}::int
           ),
           ${sqlInstant(now)},
           ${sqlInstant(now)}
    FROM "MailCredential" AS m
    WHERE m."authType" = 'oauth2'
      AND m.status = 'active'
      AND m."refreshTokenSealed" IS NOT NULL
      AND ${LAST_USED} < ${sqlInstant(now - days * DAY_MS)}
    ON CONFLICT ("dedupeKey") DO NOTHING`;
}
