import type { PrismaClient } from '../db';
import { createKnowledgeBaseInput } from './schemas';
import type { KnowledgeBaseView } from './view';

export interface CreateKnowledgeBaseOptions {
  db: PrismaClient;
  userId: string;
  name: string;
}

export async function createKnowledgeBase(options: CreateKnowledgeBaseOptions): Promise<KnowledgeBaseView> {
  const { name } = createKnowledgeBaseInput.parse({ name: options.name });
  const kb = await options.db.knowledgeBase.create({ data: { userId: options.userId, name }, select: { id: true, name: true } });
  return { ...kb, onedrive: null };
}
