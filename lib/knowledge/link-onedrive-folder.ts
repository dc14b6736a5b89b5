// Links a OneDrive folder to a knowledge base and makes its first sync due at once. Relinking the
// same folder keeps what was synced; linking another folder (or drive) starts from scratch.
//
// Consent is asked for only when missing: a Graph token is minted first (an administrator may have
// consented for the whole tenant although this app never asked its user), and only when Microsoft
// refuses it for lack of consent does linking answer 409 with reconnectUrl.
import type { PrismaClient } from '../db';
import { notFound } from '../errors';
import { needsOneDriveConsent, withGraphConsent } from '../onedrive/reconnect';
import { linkOneDriveFolderInput, type LinkOneDriveFolderInput } from './schemas';

export interface LinkOneDriveFolderOptions {
  db: PrismaClient;
  userId: string;
  knowledgeBaseId: string;
  input: LinkOneDriveFolderInput;
  now?: Date;
  /** Mints a Graph token for the credential (default: the token layer's ensureFreshToken). */
  mintGraphToken?: (credentialId: string) => Promise<unknown>;
}

async function defaultMintGraphToken(credentialId: string): Promise<unknown> {
  // Imported lazily so tests that bring their own token source never load the process wiring.
  const { ensureFreshToken } = await import('../tokens/runtime');
  return ensureFreshToken(credentialId, 'graph');
}

export async function linkOneDriveFolder(options: LinkOneDriveFolderOptions): Promise<{ linkId: string }> {
  const { db, userId, knowledgeBaseId } = options;
  const input = linkOneDriveFolderInput.parse(options.input);
  const now = options.now ?? new Date();

  const kb = await db.knowledgeBase.findFirst({ where: { id: knowledgeBaseId, userId }, select: { id: true, link: true } });
  if (!kb) throw notFound('Knowledge base not found');
  const credential = await db.mailCredential.findFirst({
    where: { id: input.accountId, userId, authType: 'oauth2' },
    select: { id: true, status: true },
  });
  if (!credential) throw notFound('Account not found');
  // Back here after reconnecting: the knowledge base's page.
  const returnTo = `/knowledge/${encodeURIComponent(kb.id)}`;
  if (credential.status === 'needs_reauth') throw needsOneDriveConsent(credential.id, returnTo, 'Reconnect this Microsoft account before linking a folder');
  // Without a Graph token every sync would fail: find out now, not at the first sync.
  const mint = options.mintGraphToken ?? defaultMintGraphToken;
  await withGraphConsent({ accountId: credential.id, returnTo, mint: () => mint(credential.id) });

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
