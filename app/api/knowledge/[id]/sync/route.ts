import { after } from 'next/server';
import { getDb } from '@/lib/db';
import { idParams } from '@/lib/http/params';
import { RATE_LIMITS } from '@/lib/http/rate-limit';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { requestSync } from '@/lib/knowledge';
import { syncLinkNow } from '@/lib/onedrive';

export const dynamic = 'force-dynamic';

// The sync runs after the response (202), bounded; the cron picks up whatever it leaves.
export const POST = route({ params: idParams, rateLimit: RATE_LIMITS.knowledgeSync }, async ({ userId, params }) => {
  const { linkId } = await requestSync({ db: await getDb(), userId, knowledgeBaseId: params.id });
  after(() => syncLinkNow({ linkId }));
  return json({ linkId }, { status: 202 });
});
