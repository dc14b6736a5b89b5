import { getDb } from '@/lib/db';
import { idParams } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { listFiles } from '@/lib/knowledge';

export const dynamic = 'force-dynamic';

export const GET = route({ params: idParams }, async ({ userId, params }) =>
  json(await listFiles({ db: await getDb(), userId, knowledgeBaseId: params.id })),
);
