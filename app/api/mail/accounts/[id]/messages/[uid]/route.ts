import { readJson } from '@/lib/http/body';
import { messageParams } from '@/lib/http/params';
import { json, noContent } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { deleteMessage, getMessage, messageFlagsInput, updateMessageFlags } from '@/lib/mail';

export const dynamic = 'force-dynamic';

export const GET = route({ params: messageParams }, async ({ userId, params, url }) =>
  json(await getMessage({ userId, accountId: params.id, uid: params.uid, mailbox: url.searchParams.get('mailbox') })),
);

export const PATCH = route({ params: messageParams }, async ({ userId, params, url, request }) => {
  const input = await readJson(request, messageFlagsInput);
  return json(await updateMessageFlags({ userId, accountId: params.id, uid: params.uid, mailbox: url.searchParams.get('mailbox'), input }));
});

export const DELETE = route({ params: messageParams }, async ({ userId, params, url }) => {
  await deleteMessage({ userId, accountId: params.id, uid: params.uid, mailbox: url.searchParams.get('mailbox') });
  return noContent();
});
