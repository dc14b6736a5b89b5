// The sync's reads and writes of KnowledgeFile rows. Reads load only what a page touches (its
// items, their parents, the subtrees of moved or deleted folders), so an incremental run costs
// database work in proportion to the change, like its Graph requests.
import { Prisma, type DbTransaction, type PrismaClient } from '../db';
import type { PagePlan } from './apply-page';
import type { ContentMeta, FileState, StoredItem } from './types';

type Client = PrismaClient | DbTransaction;

const STORED_SELECT = {
  itemId: true,
  parentId: true,
  name: true,
  path: true,
  isFolder: true,
  size: true,
  hash: true,
  eTag: true,
  cTag: true,
  lastModified: true,
  mimeType: true,
  state: true,
  skipReason: true,
  downloadPending: true,
} as const;

type StoredRow = Prisma.KnowledgeFileGetPayload<{ select: typeof STORED_SELECT }>;

function toStored(row: StoredRow): StoredItem {
  return { ...row, size: row.size === null ? null : Number(row.size), state: row.state as FileState };
}

function toData(item: StoredItem) {
  return { ...item, size: item.size === null ? null : BigInt(item.size) };
}

export async function loadItems(db: Client, knowledgeBaseId: string, itemIds: string[]): Promise<StoredItem[]> {
  if (itemIds.length === 0) return [];
  const rows = await db.knowledgeFile.findMany({ where: { knowledgeBaseId, itemId: { in: itemIds } }, select: STORED_SELECT });
  return rows.map(toStored);
}

/** Item ids of everything below the given items. */
export async function descendantIds(db: Client, knowledgeBaseId: string, rootIds: string[]): Promise<string[]> {
  if (rootIds.length === 0) return [];
  const rows = await db.$queryRaw<{ itemId: string }[]>`
    WITH RECURSIVE sub AS (
      SELECT "itemId" FROM "KnowledgeFile"
       WHERE "knowledgeBaseId" = ${knowledgeBaseId} AND "parentId" = ANY(${rootIds}::text[])
      UNION
      SELECT f."itemId" FROM "KnowledgeFile" f JOIN sub ON f."parentId" = sub."itemId"
       WHERE f."knowledgeBaseId" = ${knowledgeBaseId}
    )
    SELECT "itemId" FROM sub`;
  return rows.map((r) => r.itemId);
}

export async function loadDescendants(db: Client, knowledgeBaseId: string, rootIds: string[]): Promise<StoredItem[]> {
  return loadItems(db, knowledgeBaseId, await descendantIds(db, knowledgeBaseId, rootIds));
}

/** Removes items with their subtrees; returns how many rows went. */
export async function removeItems(db: Client, knowledgeBaseId: string, itemIds: string[]): Promise<number> {
  if (itemIds.length === 0) return 0;
  // The plan already names subtrees; the recursive read is a guard against rows it never loaded.
  const all = [...new Set([...itemIds, ...(await descendantIds(db, knowledgeBaseId, itemIds))])];
  const { count } = await db.knowledgeFile.deleteMany({ where: { knowledgeBaseId, itemId: { in: all } } });
  return count;
}

export async function applyPlan(
  tx: DbTransaction,
  input: { knowledgeBaseId: string; plan: PagePlan; stored: ReadonlyMap<string, StoredItem>; generation: number | null },
): Promise<{ removed: number }> {
  const { knowledgeBaseId, plan, stored, generation } = input;
  const removed = await removeItems(tx, knowledgeBaseId, plan.removals);
  const seen = generation === null ? {} : { seenGeneration: generation };

  const created = plan.writes.filter((w) => !stored.has(w.itemId));
  if (created.length > 0) {
    await tx.knowledgeFile.createMany({ data: created.map((w) => ({ knowledgeBaseId, ...toData(w), ...seen })) });
  }
  for (const write of plan.writes) {
    if (!stored.has(write.itemId)) continue;
    const clear = plan.clearContent.includes(write.itemId) ? { content: null } : {};
    await tx.knowledgeFile.updateMany({ where: { knowledgeBaseId, itemId: write.itemId }, data: { ...toData(write), ...clear, ...seen } });
  }
  if (generation !== null && plan.seen.length > 0) {
    await tx.knowledgeFile.updateMany({ where: { knowledgeBaseId, itemId: { in: plan.seen } }, data: seen });
  }
  return { removed };
}

/** After a resync's full walk: what it did not see is gone from the folder. */
export async function staleAfterResync(tx: DbTransaction, knowledgeBaseId: string) {
  return tx.knowledgeFile.findMany({ where: { knowledgeBaseId }, select: { itemId: true, seenGeneration: true } });
}

/**
 * Stores downloaded content with the metadata it corresponds to; no-op if no longer pending.
 * Call it inside a transaction that has checked the lease (Downloader.write): the row being
 * pending says nothing about which version the new owner of the link is waiting for.
 */
export async function storeContent(db: Client, knowledgeBaseId: string, itemId: string, content: Buffer, meta: ContentMeta): Promise<boolean> {
  const { count } = await db.knowledgeFile.updateMany({
    where: { knowledgeBaseId, itemId, downloadPending: true },
    data: {
      ...meta,
      size: BigInt(meta.size ?? content.length),
      content: new Uint8Array(content),
      state: 'synced',
      skipReason: null,
      downloadPending: false,
    },
  });
  return count > 0;
}

export async function markSkipped(db: Client, knowledgeBaseId: string, itemId: string, reason: string, meta?: ContentMeta): Promise<void> {
  await db.knowledgeFile.updateMany({
    where: { knowledgeBaseId, itemId },
    data: {
      ...(meta ? { ...meta, size: meta.size === null ? null : BigInt(meta.size) } : {}),
      content: null,
      state: 'skipped',
      skipReason: reason,
      downloadPending: false,
    },
  });
}

export async function pendingDownloadIds(db: Client, knowledgeBaseId: string, take: number): Promise<string[]> {
  const rows = await db.knowledgeFile.findMany({ where: { knowledgeBaseId, downloadPending: true }, select: { itemId: true }, take, orderBy: { itemId: 'asc' } });
  return rows.map((r) => r.itemId);
}
