import { downloadResponse } from '@/lib/http/download';
import { attachmentParams } from '@/lib/http/params';
import { route } from '@/lib/http/route';
import { openAttachment } from '@/lib/mail';

export const dynamic = 'force-dynamic';

export const GET = route({ params: attachmentParams }, async ({ request, userId, params, url }) => {
  const attachment = await openAttachment({
    userId,
    accountId: params.id,
    uid: params.uid,
    attachmentId: params.attachmentId,
    mailbox: url.searchParams.get('mailbox'),
    // A client that goes away (or a HEAD, whose body is never read) frees the IMAP session.
    signal: request.signal,
  });
  return downloadResponse(attachment.body, { filename: attachment.filename, contentType: attachment.contentType, charset: attachment.charset, fallbackName: 'attachment' });
});
