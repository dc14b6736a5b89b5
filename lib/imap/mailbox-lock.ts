import type { ImapFlow, MailboxObject } from 'imapflow';
import { AppError } from '../errors';
import { isServerRefusal } from './errors';

/**
 * Opens a mailbox under imapflow's mailbox lock and runs `fn` while holding it: read-only
 * (EXAMINE: reading never sets \Seen) unless `write` asks for SELECT, which changing flags,
 * moving and expunging need. A server NO to the EXAMINE/SELECT means there is no such folder.
 */
export async function withMailbox<T>(
  client: ImapFlow,
  path: string,
  fn: (mailbox: MailboxObject) => Promise<T>,
  options: { write?: boolean } = {},
): Promise<T> {
  const before = client.mailbox;
  let lock;
  try {
    lock = await client.getMailboxLock(path, { readOnly: !options.write, acquireTimeout: 15_000 });
  } catch (error) {
    if (isServerRefusal(error)) throw new AppError('not_found', 'No such mailbox');
    throw error;
  }
  try {
    // A pooled session that already had this folder open sees what other sessions (this service's
    // other one, Outlook, a phone) changed only once the server may tell it: servers hold back
    // EXPUNGE during FETCH, STORE and SEARCH (RFC 3501 §7.4.1). A NOOP first collects them, so a
    // moved or deleted message is not listed from the stale view.
    if (before && client.mailbox === before) await client.noop();
    const mailbox = client.mailbox;
    if (!mailbox) throw new AppError('upstream_unavailable', 'The mailbox could not be opened');
    return await fn(mailbox);
  } finally {
    lock.release();
  }
}
