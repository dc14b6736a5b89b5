import { z } from 'zod';
import { idParams } from '@/lib/http/params';
import { parseQuery } from '@/lib/http/query';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { sameSitePath } from '@/lib/http/return-to';
import { listDrives } from '@/lib/onedrive/browse';

export const dynamic = 'force-dynamic';

const query = z.object({
  /** Where a reconnect for OneDrive consent comes back to (error.reconnectUrl). */
  returnTo: sameSitePath.optional(),
});

export const GET = route({ params: idParams }, async ({ userId, params, url }) => {
  const q = parseQuery(url, query);
  return json(await listDrives({ userId, accountId: params.id, returnTo: q.returnTo }));
});
