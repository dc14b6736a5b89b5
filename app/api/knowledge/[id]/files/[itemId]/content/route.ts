import { getDb } from '@/lib/db';
import { downloadResponse } from '@/lib/http/download';
import { knowledgeFileParams } from '@/lib/http/params';
import { route } from '@/lib/http/route';
import { openFileContent } from '@/lib/knowledge';

export const dynamic = 'force-dynamic';

export const GET = route({ params: knowledgeFileParams }, async ({ userId, params }) => {
  const file = await openFileContent({ db: await getDb(), userId, knowledgeBaseId: params.id, itemId: params.itemId });
  return downloadResponse(file.body, { filename: file.name, contentType: file.mimeType, fallbackName: 'file' });
});
