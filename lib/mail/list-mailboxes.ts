import type { MailboxInfo } from '../imap/types';
import { resolveContext, type MailContext } from './context';
import { findUsableAccount } from './accounts';

export async function listMailboxes(options: { userId: string; accountId: string; ctx?: MailContext }): Promise<MailboxInfo[]> {
  const ctx = await resolveContext(options.ctx);
  const account = await findUsableAccount(ctx, options);
  return ctx.imap.listMailboxes(account);
}
