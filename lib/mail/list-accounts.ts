import { resolveContext, type MailContext } from './context';
import { connectedWhere, summarySelect, toAccountSummary, type AccountSummary } from './accounts';

/** The caller's connected mailboxes, oldest first. */
export async function listAccounts(options: { userId: string; ctx?: MailContext }): Promise<AccountSummary[]> {
  const { db } = await resolveContext(options.ctx);
  const rows = await db.mailCredential.findMany({
    where: { userId: options.userId, ...connectedWhere },
    select: summarySelect,
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: 500,
  });
  return rows.map(toAccountSummary);
}
