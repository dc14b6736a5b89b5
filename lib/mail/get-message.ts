import { parseGetMessageParams, type RawGetMessageParams } from '../imap/params';
import type { MessageDetail } from '../imap/types';
import { resolveContext, type MailContext } from './context';
import { findUsableAccount } from './accounts';

/** One message, parsed, with sanitized HTML; `uid` and `mailbox` as the route gives them. */
export async function getMessage(
  options: RawGetMessageParams & { userId: string; accountId: string; ctx?: MailContext },
): Promise<MessageDetail> {
  const params = parseGetMessageParams(options);
  const ctx = await resolveContext(options.ctx);
  const account = await findUsableAccount(ctx, options);
  return ctx.imap.getMessage(account, params);
}
