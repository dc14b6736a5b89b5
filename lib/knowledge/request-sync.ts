// "Sync now": makes the link due at once. A link paused for re-authorization resumes only if its
// credential works again; otherwise the caller learns it must reconnect (409).
import type { PrismaClient } from '../db';
import { AppError, notFound } from '../errors';

export interface RequestSyncOptions {
  db: PrismaClient;
  userId: string;
  knowledgeBaseId: string;
  now?: Date;
}

export async function requestSync(options: RequestSyncOptions): Promise<{ linkId: string }> {
  const { db, userId, knowledgeBaseId } = options;
  const link = await db.oneDriveLink.findFirst({
    where: { knowledgeBaseId, knowledgeBase: { userId } },
    select: { id: true, status: true, credential: { select: { status: true } } },
  });
  if (!link) throw notFound('No OneDrive folder is linked to this knowledge base');
  if (link.credential.status === 'needs_reauth') {
    throw new AppError('needs_reauth', 'Reconnect the Microsoft account to resume syncing');
  }
  await db.oneDriveLink.update({
    where: { id: link.id },
    data: { nextSyncAt: options.now ?? new Date(), ...(link.status === 'needs_reauth' ? { status: 'idle', error: null } : {}) },
  });
  return { linkId: link.id };
}
