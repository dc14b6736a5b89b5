// Shutdown: hands back every credential and link claim a cron run holds (owner-checked), so the
// next run on another instance need not wait out the claims' lease.
import type { PrismaClient } from '../db';

export async function releaseAllClaims(options: { db: PrismaClient; owner: string }): Promise<{ credentials: number; links: number }> {
  const { db, owner } = options;
  const [credentials, links] = await Promise.all([
    db.mailCredential.updateMany({ where: { cronLeaseOwner: owner }, data: { cronLeaseOwner: null, cronLeaseUntil: null } }),
    db.oneDriveLink.updateMany({ where: { cronLeaseOwner: owner }, data: { cronLeaseOwner: null, cronLeaseUntil: null } }),
  ]);
  return { credentials: credentials.count, links: links.count };
}
