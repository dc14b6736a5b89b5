// Ends this run's claim on credentials. Owner-checked: a claim that expired and was taken by
// another run is not ours to clear.
import type { PrismaClient } from '../db';

export async function releaseCredentialClaims(options: { db: PrismaClient; owner: string; ids: readonly string[] }): Promise<void> {
  const { db, owner, ids } = options;
  if (ids.length === 0) return;
  await db.mailCredential.updateMany({
    where: { id: { in: [...ids] }, cronLeaseOwner: owner },
    data: { cronLeaseOwner: null, cronLeaseUntil: null },
  });
}
