// Links paused for re-authorization resume once their credential works again: call this when a
// credential is re-authorized (the mail connect callback), so the links are due at once.
import type { PrismaClient } from '../db';

export async function resumeLinksForCredential(options: { db: PrismaClient; credentialId: string; now?: Date }): Promise<number> {
  const { count } = await options.db.oneDriveLink.updateMany({
    where: { credentialId: options.credentialId, status: 'needs_reauth', credential: { status: 'active' } },
    data: { status: 'idle', error: null, failureCount: 0, nextSyncAt: options.now ?? new Date() },
  });
  return count;
}
