// Links a OneDrive folder to a knowledge base and makes its first sync due at once. Relinking the
// same folder keeps what was synced; linking another folder (or drive) starts from scratch.
import type { PrismaClient } from '../db';
import { AppError, notFound } from '../errors';
import { GRAPH_FILES_SCOPE } from '../microsoft/scopes';
import { linkOneDriveFolderInput, type LinkOneDriveFolderInput } from './schemas';

export interface LinkOneDriveFolderOptions {
  db: PrismaClient;
  userId: string;
  knowledgeBaseId: string;
  input: LinkOneDriveFolderInput;
  now?: Date;
}

export async function linkOneDriveFolder(options: LinkOneDriveFolderOptions): Promise<{ linkId: string }> {
  const { db, userId, knowledgeBaseId } = options;
  const input = linkOneDriveFolderInput.parse(options.input);
  const now = options.now ?? new Date();

  const kb = await db.knowledgeBase.findFirst({ where: { id: knowledgeBaseId, userId }, select: { id: true, link: true } });
  if (!kb) throw notFound('Knowledge base not found');
  const credential = await db.mailCredential.findFirst({
    where: { id: input.accountId, userId, authType: 'oauth2' },
    select: { id: true, status: true, grantedScopes: true },
  });
  if (!credential) throw notFound('Account not found');
  if (credential.status === 'needs_reauth') throw new AppError('needs_reauth', 'Reconnect this Microsoft account before linking a folder');
  // Without consent for Files.Read.All every sync would fail; ask for it now (incremental consent
  // through /api/mail/connect?files=1), not at the first sync.
  if (!(credential.grantedScopes ?? '').split(' ').includes(GRAPH_FILES_SCOPE)) {
    throw new AppError('needs_reauth', 'Allow OneDrive access for this Microsoft account first (reconnect it with file access)');
  }

  const fields = {
    credentialId: credential.id,
    driveId: input.driveId,
    folderId: input.folderId,
    folderPath: input.folderPath,
    intervalMinutes: input.intervalMinutes,
    status: 'idle' as const,
    error: null,
    failureCount: 0,
    nextSyncAt: now,
  };
  const existing = kb.link;
  if (existing && existing.driveId === input.driveId && existing.folderId === input.folderId) {
    await db.oneDriveLink.update({ where: { id: existing.id }, data: fields });
    return { linkId: existing.id };
  }
  return db.$transaction(async (tx) => {
    // Deleting the old link first takes its row lock, so a sync still running on it fails its
    // lease check instead of writing into the new folder's files.
    if (existing) await tx.oneDriveLink.delete({ where: { id: existing.id } });
    await tx.knowledgeFile.deleteMany({ where: { knowledgeBaseId } });
    const link = await tx.oneDriveLink.create({ data: { knowledgeBaseId, ...fields }, select: { id: true } });
    return { linkId: link.id };
  });
}
