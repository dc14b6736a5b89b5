// What sending needs from IMAP: the original's raw source (to reply to or forward it), a copy of
// the sent message in the Sent folder (special-use \Sent: "Sent Items" on Microsoft 365), and the
// \Answered flag on a message once it was replied to.
import type { ImapFlow } from 'imapflow';
import { AppError } from '../errors';
import { withMailbox } from './mailbox-lock';

const SENT = '\\Sent';
const ANSWERED = '\\Answered';
const SEEN = '\\Seen';

/** An original larger than this is not loaded to be quoted or forwarded. */
export const MAX_ORIGINAL_BYTES = 25 * 1024 * 1024;

/** The message's RFC 822 source; not_found when it is missing, invalid_request when too large. */
export async function fetchMessageSource(client: ImapFlow, options: { mailbox: string; uid: number; maxBytes?: number }): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? MAX_ORIGINAL_BYTES;
  const source = await withMailbox(client, options.mailbox, async () => {
    const head = await client.fetchOne(String(options.uid), { uid: true, size: true }, { uid: true });
    if (!head) return null;
    if ((head.size ?? 0) > maxBytes) throw new AppError('invalid_request', 'The original message is too large to reply to or forward here');
    const full = await client.fetchOne(String(options.uid), { uid: true, source: true }, { uid: true });
    return full ? full.source ?? null : null;
  });
  if (!source) throw new AppError('not_found', 'No such message');
  return source;
}

/** Appends `raw` to the account's Sent folder (seen); the folder's path, or null without one. */
export async function appendToSent(client: ImapFlow, raw: Buffer): Promise<string | null> {
  const folders = await client.list();
  const sent = folders.find((f) => f.specialUse === SENT)?.path;
  if (sent === undefined) return null;
  await client.append(sent, raw, [SEEN]);
  return sent;
}

/** Marks a replied-to message \Answered, as mail clients do. A vanished message is no error. */
export async function markAnswered(client: ImapFlow, options: { mailbox: string; uid: number }): Promise<void> {
  await withMailbox(client, options.mailbox, async () => {
    await client.messageFlagsAdd(String(options.uid), [ANSWERED], { uid: true });
  }, { write: true });
}
