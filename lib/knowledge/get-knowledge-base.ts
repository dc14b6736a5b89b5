import type { PrismaClient } from '../db';
import { notFound } from '../errors';
import { loadKnowledgeBaseView, type KnowledgeBaseView } from './view';

export interface GetKnowledgeBaseOptions {
  db: PrismaClient;
  userId: string;
  knowledgeBaseId: string;
  now?: Date;
}

export async function getKnowledgeBase(options: GetKnowledgeBaseOptions): Promise<KnowledgeBaseView> {
  const view = await loadKnowledgeBaseView(options.db, options.userId, options.knowledgeBaseId, options.now);
  if (!view) throw notFound('Knowledge base not found');
  return view;
}
