import { getDb } from '@/lib/db';
import { readJson } from '@/lib/http/body';
import { RATE_LIMITS } from '@/lib/http/rate-limit';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { createKnowledgeBase, createKnowledgeBaseInput } from '@/lib/knowledge';

export const dynamic = 'force-dynamic';

export const POST = route({ rateLimit: RATE_LIMITS.knowledgeCreate }, async ({ userId, request }) => {
  const { name } = await readJson(request, createKnowledgeBaseInput);
  return json(await createKnowledgeBase({ db: await getDb(), userId, name }), { status: 201 });
});
