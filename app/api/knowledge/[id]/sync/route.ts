import { getDb } from '@/lib/db';
import { idParams } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { requestSync } from '@/lib/knowledge';

export const dynamic = 'force-dynamic';

export const POST = route({ params: idParams }, async ({ userId, params }) =>
  json(await requestSync({ db: await getDb(), userId, knowledgeBaseId: params.id }), { status: 202 }),
);
