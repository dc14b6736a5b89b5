// The JSON shape of a knowledge base (SPEC §4 GET /api/knowledge/{id}).
import type { PrismaClient, SyncStatus } from '../db';

export interface OneDriveView {
  status: SyncStatus;
  lastSyncAt: string | null;
  /** The linked credential still holds a refresh token (it can sync without its user). */
  hasStoredToken: boolean;
  error: string | null;
  fileCount: number;
  folderPath: string;
  intervalMinutes: number;
  nextSyncAt: string;
}

export interface KnowledgeBaseView {
  id: string;
  name: string;
  onedrive: OneDriveView | null;
}

/** Loads the view of a knowledge base the caller owns; null when not found (or not theirs). */
export async function loadKnowledgeBaseView(db: PrismaClient, userId: string, knowledgeBaseId: string, now = new Date()): Promise<KnowledgeBaseView | null> {
  const kb = await db.knowledgeBase.findFirst({
    where: { id: knowledgeBaseId, userId },
    select: {
      id: true,
      name: true,
      link: {
        select: {
          status: true,
          lastSyncAt: true,
          error: true,
          leaseUntil: true,
          folderPath: true,
          intervalMinutes: true,
          nextSyncAt: true,
          credential: { select: { refreshTokenSealed: true } },
        },
      },
    },
  });
  if (!kb) return null;
  if (!kb.link) return { id: kb.id, name: kb.name, onedrive: null };
  const link = kb.link;
  const fileCount = await db.knowledgeFile.count({ where: { knowledgeBaseId: kb.id, isFolder: false, state: 'synced' } });
  // A worker that died mid-sync leaves "syncing" behind; its lease tells the truth.
  const abandoned = link.status === 'syncing' && (link.leaseUntil === null || link.leaseUntil < now);
  return {
    id: kb.id,
    name: kb.name,
    onedrive: {
      status: abandoned ? 'idle' : link.status,
      lastSyncAt: link.lastSyncAt?.toISOString() ?? null,
      hasStoredToken: link.credential.refreshTokenSealed !== null,
      error: link.error,
      fileCount,
      folderPath: link.folderPath,
      intervalMinutes: link.intervalMinutes,
      nextSyncAt: link.nextSyncAt.toISOString(),
    },
  };
}
