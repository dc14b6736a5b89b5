// Ends this run's claim on links (owner-checked). Scheduling (nextSyncAt, status) is the sync
// engine's: it writes the outcome of each run itself.
import type { PrismaClient } from '../db';

export async function releaseLinkClaims(options: { db: PrismaClient; owner: string; ids: readonly string[] }): Promise<void> {
  const { db, owner, ids } = options;
  if (ids.length === 0) return;
  await db.oneDriveLink.updateMany({
    where: { id: { in: [...ids] }, cronLeaseOwner: owner },
    data: { cronLeaseOwner: null, cronLeaseUntil: null },
  });
}
