import { readJson } from '@/lib/http/body';
import { messageParams } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { moveMessage, moveMessageInput } from '@/lib/mail';

export const dynamic = 'force-dynamic';

export const POST = route({ params: messageParams }, async ({ userId, params, url, request }) => {
  const input = await readJson(request, moveMessageInput);
  return json(await moveMessage({ userId, accountId: params.id, uid: params.uid, mailbox: url.searchParams.get('mailbox'), input }));
});
