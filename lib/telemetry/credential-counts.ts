// Credentials by status, and active OAuth credentials by refresh-token age bucket: one aggregate
// query, run when a metric reader collects (every export interval), never per request.
import { Prisma, type PrismaClient } from '../db';
import { sqlInstant } from '../cron/sql-time';
import { AGE_BUCKETS, AGE_BUCKET_START_DAYS, type AgeBucket } from './ages';

export interface CredentialCounts {
  /** Per `authType` and `status`. */
  byStatus: Array<{ authType: string; status: string; count: number }>;
  /** Active OAuth credentials holding a refresh token, by how long since it was last exercised. */
  byAge: Record<AgeBucket, number>;
}

// The same notion of "last exercised" as the cron's near-expiry report (lib/cron/find-near-expiry.ts).
const LAST_USED = Prisma.sql`COALESCE("lastRefreshAt", "refreshTokenIssuedAt", "createdAt")`;
const DAY_MS = 86_400_000;

export async function countCredentials(options: { db: PrismaClient; now: number }): Promise<CredentialCounts> {
  const { db, now } = options;
  const byStatus = await db.$queryRaw<Array<{ authType: string; status: string; count: number }>>`
    SELECT "authType"::text AS "authType", status::text AS status, count(*)::int AS count
    FROM "MailCredential" GROUP BY 1, 2 ORDER BY 1, 2`;
  // Bucket i holds ages in [start_i, start_{i+1}): last use at or before now - start_i days and after now - start_{i+1}.
  const columns = AGE_BUCKETS.map((bucket, i) => {
    const next = AGE_BUCKETS[i + 1];
    // The first bucket also takes a last use stamped slightly in the future (clock skew).
    const upper = i === 0 ? Prisma.sql`TRUE` : Prisma.sql`${LAST_USED} <= ${sqlInstant(now - AGE_BUCKET_START_DAYS[bucket] * DAY_MS)}`;
    const lower = next === undefined ? Prisma.sql`TRUE` : Prisma.sql`${LAST_USED} > ${sqlInstant(now - AGE_BUCKET_START_DAYS[next] * DAY_MS)}`;
    return Prisma.sql`(count(*) FILTER (WHERE ${upper} AND ${lower}))::int AS ${Prisma.raw(`"b${i}"`)}`;
  });
  const [ages] = await db.$queryRaw<Array<Record<string, number>>>`
    SELECT ${Prisma.join(columns)}
    FROM "MailCredential"
    WHERE "authType" = 'oauth2' AND status = 'active' AND "refreshTokenSealed" IS NOT NULL`;
  const byAge = Object.fromEntries(AGE_BUCKETS.map((b, i) => [b, Number(ages?.[`b${i}`] ?? 0)])) as Record<AgeBucket, number>;
  return { byStatus: byStatus.map((r) => ({ ...r, count: Number(r.count) })), byAge };
}
