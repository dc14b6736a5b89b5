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
  // With a session of the named mailbox already pooled, the read starts first and its IMAP round
  // trips overlap the ownership query. It is read-only (EXAMINE), needs no login or token, and its
  // page or error reaches the caller only once the query has confirmed the mailbox is theirs;
  // otherwise it is dropped.
  const early = ctx.imap.listMessagesIfWarm(options.accountId, params);
  early?.catch(() => {});
  const account = await findUsableAccount(ctx, options);
  return early ?? ctx.imap.listMessages(account, params);
}
