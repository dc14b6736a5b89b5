// Claims OneDrive links due for a scheduled sync, the same way as credentials: SKIP LOCKED in the
// inner SELECT, this run's lease stamped by the UPDATE. The claim is the cron's own
// (cronLease*); the sync engine still takes the link's sync lease itself, so a link that a "sync
// now" request is already syncing is not even claimed.
import type { PrismaClient } from '../db';
import { sqlInstant } from './sql-time';

export interface ClaimedLink {
  id: string;
  credentialId: string;
}

export interface ClaimDueLinksOptions {
  db: PrismaClient;
  owner: string;
  now: number;
  limit: number;
  leaseMs: number;
}

export async function claimDueLinks(options: ClaimDueLinksOptions): Promise<ClaimedLink[]> {
  const { db, owner, now, limit, leaseMs } = options;
  if (limit <= 0) return [];
  return db.$queryRaw<ClaimedLink[]>`
    UPDATE "OneDriveLink" AS l
    SET "cronLeaseOwner" = ${owner}, "cronLeaseUntil" = ${sqlInstant(now + leaseMs)}
    WHERE l.id IN (
      SELECT o.id FROM "OneDriveLink" AS o
      WHERE o."nextSyncAt" <= ${sqlInstant(now)}
        AND o.status <> 'needs_reauth'
        AND (o."cronLeaseUntil" IS NULL OR o."cronLeaseUntil" < ${sqlInstant(now)})
        AND (o."leaseUntil" IS NULL OR o."leaseUntil" < ${sqlInstant(now)})
      ORDER BY o."nextSyncAt", o.id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING l.id, l."credentialId"`;
}
