import { z } from 'zod';
import { idParams } from '@/lib/http/params';
import { parseQuery } from '@/lib/http/query';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { sameSitePath } from '@/lib/http/return-to';
import { listChildren } from '@/lib/onedrive/browse';

export const dynamic = 'force-dynamic';

/**
 * Graph's drive and item ids: letters, digits and a few separators ("b!…", "D4648F06C91D9D3D!54927"),
 * never a path segment such as "..".
 */
const graphId = z.string().regex(/^(?!\.+$)[A-Za-z0-9!_.,:=~+-]{1,300}$/, 'not a valid OneDrive id');

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
