import { messageParams } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { getMessage } from '@/lib/mail';

export const dynamic = 'force-dynamic';

export const GET = route({ params: messageParams }, async ({ userId, params, url }) =>
  json(await getMessage({ userId, accountId: params.id, uid: params.uid, mailbox: url.searchParams.get('mailbox') })),
);
