import type { ImapFlow } from 'imapflow';
import type { MailboxInfo } from './types';

const NOT_SELECTABLE = ['\\Noselect', '\\NonExistent'];

/** Folders with message and unseen counts (LIST-STATUS where offered, else STATUS each). */
export async function listMailboxes(client: ImapFlow): Promise<MailboxInfo[]> {
  // The server answers the selected folder's counts from this session's view of it, which only
  // catches up with mail delivered meanwhile when the session syncs: NOOP first.
  if (client.mailbox) await client.noop();
  const entries = await client.list({ statusQuery: { messages: true, unseen: true } });
  const boxes = entries
    .filter((e) => !NOT_SELECTABLE.some((flag) => e.flags.has(flag)))
    .map<MailboxInfo>((e) => ({
      path: e.path,
      name: e.name,
      specialUse: e.specialUse ?? null,
      messages: e.status?.messages ?? 0,
      unseen: e.status?.unseen ?? 0,
    }));
  // INBOX first; the server's order otherwise (it knows its folder hierarchy best).
  return [...boxes.filter((b) => b.path.toUpperCase() === 'INBOX'), ...boxes.filter((b) => b.path.toUpperCase() !== 'INBOX')];
}
