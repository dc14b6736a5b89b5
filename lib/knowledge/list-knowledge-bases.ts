import type { PrismaClient } from '../db';

export interface ListKnowledgeBasesOptions {
  db: PrismaClient;
  userId: string;
}

export async function listKnowledgeBases(options: ListKnowledgeBasesOptions): Promise<{ id: string; name: string }[]> {
  return options.db.knowledgeBase.findMany({
    where: { userId: options.userId },
    select: { id: true, name: true },
    orderBy: { createdAt: 'asc' },
    take: 1000,
  });
}
