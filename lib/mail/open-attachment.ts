import { parseGetAttachmentParams, type RawGetAttachmentParams } from '../imap/params';
import type { AttachmentDownload } from '../imap/download-attachment';
import { resolveContext, type MailContext } from './context';
import { findUsableAccount } from './accounts';

/**
 * One attachment of the caller's message, as a stream (`uid`, `attachmentId`, `mailbox` as the
 * route gives them). Parameters are checked first (400 whoever's mailbox it is), then ownership
 * (404), then the part (404 missing, 400 too large).
 */
export async function openAttachment(
  options: RawGetAttachmentParams & { userId: string; accountId: string; signal?: AbortSignal; ctx?: MailContext },
): Promise<AttachmentDownload> {
  const params = parseGetAttachmentParams(options);
  const ctx = await resolveContext(options.ctx);
  const account = await findUsableAccount(ctx, options);
  return ctx.imap.openAttachment(account, params, options.signal ? { signal: options.signal } : {});
}
