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
  let lock;
  try {
    lock = await client.getMailboxLock(path, { readOnly: !options.write, acquireTimeout: 15_000 });
  } catch (error) {
    if (isServerRefusal(error)) throw new AppError('not_found', 'No such mailbox');
    throw error;
  }
  try {
    const mailbox = client.mailbox;
    if (!mailbox) throw new AppError('upstream_unavailable', 'The mailbox could not be opened');
    return await fn(mailbox);
  } finally {
    lock.release();
  }
}
