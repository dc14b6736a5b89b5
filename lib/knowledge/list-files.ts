// The files of a knowledge base (SPEC §4): synced files only by default. Skipped files (over the
// size cap, unsupported) are never presented as synced; includeSkipped lists them with a state.
import type { PrismaClient } from '../db';
import { notFound } from '../errors';

export interface KnowledgeFileView {
  itemId: string;
  name: string;
  path: string;
  size: number | null;
  lastModified: string | null;
  hash: string | null;
  state?: 'synced' | 'skipped' | 'pending';
  skipReason?: string | null;
}

export interface ListFilesOptions {
  db: PrismaClient;
  userId: string;
  knowledgeBaseId: string;
  includeSkipped?: boolean;
  /** Cap on the rows returned (default 10,000). */
  take?: number;
}

export async function listFiles(options: ListFilesOptions): Promise<KnowledgeFileView[]> {
  const { db, userId, knowledgeBaseId } = options;
  const kb = await db.knowledgeBase.findFirst({ where: { id: knowledgeBaseId, userId }, select: { id: true } });
  if (!kb) throw notFound('Knowledge base not found');
  const rows = await db.knowledgeFile.findMany({
    where: { knowledgeBaseId, isFolder: false, ...(options.includeSkipped ? {} : { state: 'synced' }) },
    select: { itemId: true, name: true, path: true, size: true, lastModified: true, hash: true, state: true, skipReason: true },
    orderBy: { path: 'asc' },
    take: options.take ?? 10_000,
  });
  return rows.map((r) => ({
    itemId: r.itemId,
    name: r.name,
    path: r.path,
    size: r.size === null ? null : Number(r.size),
    lastModified: r.lastModified?.toISOString() ?? null,
    hash: r.hash,
    ...(options.includeSkipped ? { state: r.state as 'synced' | 'skipped' | 'pending', skipReason: r.skipReason } : {}),
  }));
}
