import { idParams } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { listMessages } from '@/lib/mail';

export const dynamic = 'force-dynamic';

// listMessages validates mailbox, limit, cursor and the search text q (400 on anything malformed).
export const GET = route({ params: idParams }, async ({ userId, params, url }) => {
  const q = url.searchParams;
  return json(await listMessages({ userId, accountId: params.id, mailbox: q.get('mailbox'), limit: q.get('limit'), cursor: q.get('cursor'), q: q.get('q') }));
});
