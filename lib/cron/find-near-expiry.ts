// Credentials whose refresh token is close to Microsoft's 90-day inactivity cliff and still has
// not been exercised: failing, in backoff, or not reached yet. Their owners will have to sign in
// again if nothing changes, so operators get a count and the oldest ids.
import { Prisma, type PrismaClient } from '../db';
import { sqlEpochMs, sqlInstant } from './sql-time';

export interface NearExpiry {
  count: number;
  /** Oldest first, capped. */
  credentials: { id: string; idleDays: number }[];
}

const LAST_USED = Prisma.sql`COALESCE(m."lastRefreshAt", m."refreshTokenIssuedAt", m."createdAt")`;
const DAY_MS = 86_400_000;

export async function findNearExpiry(options: { db: PrismaClient; now: number; days: number; limit?: number }): Promise<NearExpiry> {
  const { db, now, days } = options;
  const rows = await db.$queryRaw<{ id: string; lastUsedAt: number; total: number }[]>`
    SELECT m.id, ${sqlEpochMs(LAST_USED)} AS "lastUsedAt", (count(*) OVER ())::int AS total
    FROM "MailCredential" AS m
    WHERE m."authType" = 'oauth2'
      AND m.status = 'active'
      AND m."refreshTokenSealed" IS NOT NULL
      AND ${LAST_USED} < ${sqlInstant(now - days * DAY_MS)}
    ORDER BY ${LAST_USED}, m.id
    LIMIT ${options.limit ?? 20}`;
  return {
    count: rows[0]?.total ?? 0,
    credentials: rows.map((r) => ({ id: r.id, idleDays: Math.floor((now - Number(r.lastUsedAt)) / DAY_MS) })),
  };
}
