import { getCache } from '@/lib/cache';
import { getDb } from '@/lib/db';
import { checkHealth } from '@/lib/health';
import { json } from '@/lib/http/respond';
import { publicRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

export const GET = publicRoute({}, async () => {
  const health = await checkHealth({ db: getDb, cache: getCache() });
  return json(health, { status: health.db === 'ok' ? 200 : 503 });
});
