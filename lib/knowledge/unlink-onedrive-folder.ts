// Unlinks the folder: the link (and with it the knowledge base's use of the credential's token)
// and the files it brought are removed. The credential itself stays; it may serve mail.
import type { PrismaClient } from '../db';
import { notFound } from '../errors';

export interface UnlinkOneDriveFolderOptions {
  db: PrismaClient;
  userId: string;
  knowledgeBaseId: string;
}

export async function unlinkOneDriveFolder(options: UnlinkOneDriveFolderOptions): Promise<void> {
  const { db, userId, knowledgeBaseId } = options;
  const kb = await db.knowledgeBase.findFirst({ where: { id: knowledgeBaseId, userId }, select: { id: true } });
  if (!kb) throw notFound('Knowledge base not found');
  await db.$transaction(async (tx) => {
    // Link first: a sync in flight then fails its lease check rather than writing files back.
    await tx.oneDriveLink.deleteMany({ where: { knowledgeBaseId } });
    await tx.knowledgeFile.deleteMany({ where: { knowledgeBaseId } });
  });
}
