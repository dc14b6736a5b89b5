import { z } from 'zod';
import { graphId, idParams } from '@/lib/http/params';
import { parseQuery } from '@/lib/http/query';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { sameSitePath } from '@/lib/http/return-to';
import { listChildren } from '@/lib/onedrive/browse';

export const dynamic = 'force-dynamic';

const query = z.object({
  driveId: graphId,
  /** The folder to list; the drive's root when absent. */
  itemId: graphId.optional(),
  cursor: z.string().min(1).max(6000).optional(),
  returnTo: sameSitePath.optional(),
});

export const GET = route({ params: idParams }, async ({ userId, params, url }) => {
  const q = parseQuery(url, query);
  return json(await listChildren({ userId, accountId: params.id, driveId: q.driveId, itemId: q.itemId, cursor: q.cursor, returnTo: q.returnTo }));
});
