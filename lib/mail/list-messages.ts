import { parseListMessagesParams, type RawListMessagesParams } from '../imap/params';
import type { MessagePage } from '../imap/types';
import { resolveContext, type MailContext } from './context';
import { findUsableAccount } from './accounts';

/** One page of a folder, newest first; `mailbox`, `limit`, `cursor` as the query string gives them. */
export async function listMessages(
  options: RawListMessagesParams & { userId: string; accountId: string; ctx?: MailContext },
): Promise<MessagePage> {
  // Parameters first: a malformed request is a 400 whoever's mailbox it names.
  const params = parseListMessagesParams(options);
  const ctx = await resolveContext(options.ctx);
  const account = await findUsableAccount(ctx, options);
  return ctx.imap.listMessages(account, params);
}
