// Claims credentials due for proactive refresh, so overlapping or concurrent cron runs never
// work on the same one: the inner SELECT locks candidate rows with SKIP LOCKED (a concurrent
// claimer passes over them instead of waiting), the UPDATE stamps this run's lease on them, and a
// row a concurrent run already leased fails the re-checked lease condition.
import { Prisma, type PrismaClient } from '../db';
import type { TokenResource } from '../tokens';
import { sqlEpochMs, sqlInstant } from './sql-time';

export interface ClaimedCredential {
  id: string;
  /** Resources whose stored access token expires before the warm horizon. */
  warm: TokenResource[];
  /** The refresh token has not been exercised since the idle cutoff. */
  idle: boolean;
  /** When the refresh token was last exercised (epoch ms), for the 90-day cliff. */
  lastUsedAt: number;
}

export interface ClaimDueCredentialsOptions {
  db: PrismaClient;
  owner: string;
  now: number;
  limit: number;
  leaseMs: number;
  /** Access tokens expiring before this instant are warmed… */
  warmBefore: number;
  /** …for mailboxes a person used since this instant (others refresh on demand when opened). */
  activeSince: number;
  /** Refresh tokens last exercised before this instant are exercised. */
  idleBefore: number;
  /** Tenants paused in this run (lower-case ids): their credentials are left for a later run. */
  excludeTenants?: readonly string[];
}

interface Row {
  id: string;
  lastUsedAt: number;
  idle: boolean;
  warm: string[];
}


export type DueCriteria = Pick<ClaimDueCredentialsOptions, 'now' | 'warmBefore' | 'activeSince' | 'idleBefore' | 'excludeTenants'>;

/** Whether credential `m` is due and free to claim: shared by the claim and the backlog count. */
export function dueCredential(options: DueCriteria): Prisma.Sql {
  const { now, warmBefore, activeSince, idleBefore } = options;
  const excluded = options.excludeTenants ?? [];
  const notExcluded =
    excluded.length === 0
      ? Prisma.empty
      : Prisma.sql`AND (m."tenantId" IS NULL OR lower(m."tenantId") NOT IN (${Prisma.join(excluded.map((t) => t.toLowerCase()))}))`;
  return Prisma.sql`m."authType" = 'oauth2'
          AND m.status = 'active'
          AND m."refreshTokenSealed" IS NOT NULL
          AND (m."nextRetryAt" IS NULL OR m."nextRetryAt" <= ${sqlInstant(now)})
          AND (m."cronLeaseUntil" IS NULL OR m."cronLeaseUntil" < ${sqlInstant(now)})
          ${notExcluded}
          AND (
            m."lastRefreshAt" IS NULL
            OR m."lastRefreshAt" < ${sqlInstant(idleBefore)}
            OR (
              m."lastAccessedAt" >= ${sqlInstant(activeSince)}
              AND EXISTS (
                SELECT 1 FROM "AccessToken" AS a
                WHERE a."credentialId" = m.id AND a."expiresAt" < ${sqlInstant(warmBefore)}
              )
            )
          )`;
}

export async function claimDueCredentials(options: ClaimDueCredentialsOptions): Promise<ClaimedCredential[]> {
  const { db, owner, now, limit, leaseMs, warmBefore, activeSince, idleBefore } = options;
  if (limit <= 0) return [];
  const rows = await db.$queryRaw<Row[]>`
    WITH claimed AS (
      UPDATE "MailCredential" AS c
      SET "cronLeaseOwner" = ${owner}, "cronLeaseUntil" = ${sqlInstant(now + leaseMs)}
      WHERE c.id IN (
        SELECT m.id FROM "MailCredential" AS m
        WHERE ${dueCredential(options)}
        -- Least recently refreshed first: nearest the 90-day cliff, and (one token lifetime for
        -- all) the access tokens that expire first. Walks the lastRefreshAt index and stops at
        -- the limit, so a claim costs the batch, not the table.
        ORDER BY m."lastRefreshAt"
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING c.id, c."lastRefreshAt", c."lastAccessedAt", COALESCE(c."lastRefreshAt", c."refreshTokenIssuedAt", c."createdAt") AS "lastUsed"
    )
    SELECT
      claimed.id,
      ${sqlEpochMs(Prisma.sql`claimed."lastUsed"`)} AS "lastUsedAt",
      (claimed."lastRefreshAt" IS NULL OR claimed."lastRefreshAt" < ${sqlInstant(idleBefore)}) AS idle,
      ARRAY(
        SELECT a.resource FROM "AccessToken" AS a
        WHERE a."credentialId" = claimed.id AND a."expiresAt" < ${sqlInstant(warmBefore)}
          AND claimed."lastAccessedAt" >= ${sqlInstant(activeSince)}
        ORDER BY a.resource
      ) AS warm
    FROM claimed
    ORDER BY claimed."lastRefreshAt" NULLS LAST, claimed.id`;
  return rows.map((row) => ({
    id: row.id,
    lastUsedAt: Number(row.lastUsedAt),
    idle: row.idle,
    warm: row.warm.filter(isTokenResource),
  }));
}

function isTokenResource(value: string): value is TokenResource {
  return value === 'imap' || value === 'graph' || value === 'smtp';
}
