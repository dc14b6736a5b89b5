// A synced file's bytes (GET /api/knowledge/{id}/files/{itemId}/content): only files in state
// `synced` of the caller's own knowledge base; anyone else's is simply not found. The content is
// read from the database in slices as the client takes it, so a large file never sits in memory
// whole, and a file that a sync replaces mid-download fails the download instead of mixing two
// versions.
import type { PrismaClient } from '../db';
import { AppError, notFound } from '../errors';
import { DEFAULT_MAX_FILE_BYTES } from '../onedrive/sync-link';

/** What the sync stores at most; nothing larger is served. */
export const MAX_KNOWLEDGE_DOWNLOAD_BYTES = DEFAULT_MAX_FILE_BYTES;
const CHUNK_BYTES = 512 * 1024;

export interface OpenFileContentOptions {
  db: PrismaClient;
  userId: string;
  knowledgeBaseId: string;
  itemId: string;
  chunkBytes?: number;
  maxBytes?: number;
}

export interface KnowledgeFileContent {
  name: string;
  mimeType: string | null;
  /** Exact byte length. */
  length: number;
  body: ReadableStream<Uint8Array>;
}

/** OneDrive item ids are opaque; bounded, and without control characters. */
function checkId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 400 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new AppError('invalid_request', `${name} is not a valid id`);
  }
  return value;
}

interface Head {
  id: string;
  name: string;
  mimeType: string | null;
  length: number | null;
  updatedAt: Date;
}

export async function openFileContent(options: OpenFileContentOptions): Promise<KnowledgeFileContent> {
  const { db, userId } = options;
  const knowledgeBaseId = checkId(options.knowledgeBaseId, 'knowledge base id');
  const itemId = checkId(options.itemId, 'itemId');
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const maxBytes = options.maxBytes ?? MAX_KNOWLEDGE_DOWNLOAD_BYTES;

  const [head] = await db.$queryRaw<Head[]>`
    SELECT f.id, f.name, f."mimeType", octet_length(f.content)::int AS length, f."updatedAt"
    FROM "KnowledgeFile" AS f
    JOIN "KnowledgeBase" AS k ON k.id = f."knowledgeBaseId"
    WHERE f."knowledgeBaseId" = ${knowledgeBaseId}
      AND f."itemId" = ${itemId}
      AND k."userId" = ${userId}
      AND f."isFolder" = false
      AND f.state = 'synced'`;
  if (!head || head.length === null) throw notFound('File not found');
  const length = Number(head.length);
  if (length > maxBytes) throw new AppError('invalid_request', `This file is too large to download here (${Math.ceil(length / (1024 * 1024))} MB)`);
  const version = new Date(head.updatedAt).getTime();

  let offset = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (offset >= length) {
          controller.close();
          return;
        }
        const take = Math.min(chunkBytes, length - offset);
        const [slice] = await db.$queryRaw<Array<{ chunk: Uint8Array | null; updatedAt: Date }>>`
          SELECT substring(content FROM ${offset + 1}::int FOR ${take}::int) AS chunk, "updatedAt"
          FROM "KnowledgeFile"
          WHERE id = ${head.id} AND state = 'synced'`;
        if (cancelled) return;
        if (!slice || !slice.chunk || new Date(slice.updatedAt).getTime() !== version || slice.chunk.byteLength !== take) {
          controller.error(new AppError('not_found', 'The file changed while it was being downloaded'));
          return;
        }
        offset += take;
        controller.enqueue(slice.chunk instanceof Uint8Array ? slice.chunk : new Uint8Array(slice.chunk));
        if (offset >= length) controller.close();
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { name: head.name, mimeType: head.mimeType, length, body };
}
