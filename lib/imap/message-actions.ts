// What a person does to one message: flag it, move it, delete it. Each runs in the mailbox opened
// for writing (SELECT) on a pooled session, and checks the message exists first, so an unknown UID
// is a 404 rather than a silent no-op (UID STORE/MOVE on a missing UID succeed with no effect).
import type { ImapFlow, ListResponse } from 'imapflow';
import { AppError, invalidRequest } from '../errors';
import { messageFlags } from './flags';
import { withMailbox } from './mailbox-lock';
import type { MoveResult } from './types';

const SEEN = '\\Seen';
const FLAGGED = '\\Flagged';
const TRASH = '\\Trash';

export interface FlagChange {
  seen?: boolean | undefined;
  flagged?: boolean | undefined;
}

async function requireMessage(client: ImapFlow, uid: number): Promise<void> {
  const found = await client.fetchOne(String(uid), { uid: true }, { uid: true });
  if (!found) throw new AppError('not_found', 'No such message');
}

/** Sets or clears \Seen and \Flagged; returns the message's flags afterwards. */
export async function setMessageFlags(client: ImapFlow, options: { mailbox: string; uid: number; change: FlagChange }): Promise<string[]> {
  const { uid, change } = options;
  return withMailbox(
    client,
    options.mailbox,
    async () => {
      await requireMessage(client, uid);
      const add = [...(change.seen === true ? [SEEN] : []), ...(change.flagged === true ? [FLAGGED] : [])];
      const remove = [...(change.seen === false ? [SEEN] : []), ...(change.flagged === false ? [FLAGGED] : [])];
      if (add.length > 0) await client.messageFlagsAdd(String(uid), add, { uid: true });
      if (remove.length > 0) await client.messageFlagsRemove(String(uid), remove, { uid: true });
      const after = await client.fetchOne(String(uid), { uid: true, flags: true }, { uid: true });
      if (!after) throw new AppError('not_found', 'No such message');
      return messageFlags(after.flags);
    },
    { write: true },
  );
}

/** UID MOVE (COPY + EXPUNGE where the server lacks MOVE) to `to`; the new UID when the server says. */
export async function moveMessage(client: ImapFlow, options: { mailbox: string; uid: number; to: string }): Promise<MoveResult> {
  if (sameFolder(options.to, options.mailbox)) throw invalidRequest('to: the message is already in that folder');
  await requireFolder(await client.list(), options.to);
  return move(client, options);
}

async function move(client: ImapFlow, options: { mailbox: string; uid: number; to: string }): Promise<MoveResult> {
  const { uid, to } = options;
  return withMailbox(
    client,
    options.mailbox,
    async () => {
      await requireMessage(client, uid);
      const moved = await client.messageMove(String(uid), to, { uid: true });
      if (!moved) throw new AppError('upstream_unavailable', 'The mail server did not move the message; try again shortly');
      return { uid: moved.uidMap?.get(uid) ?? null };
    },
    { write: true },
  );
}

/**
 * Delete as mail clients do: to the account's Trash (special-use \Trash: "Deleted Items" on
 * Microsoft 365); from Trash itself, for good (\Deleted + UID EXPUNGE of this message only).
 * An account without a Trash folder is refused rather than expunged: nothing is lost by mistake.
 */
export async function deleteMessage(client: ImapFlow, options: { mailbox: string; uid: number }): Promise<{ expunged: boolean }> {
  const folders = await client.list();
  const trash = folders.find((f) => f.specialUse === TRASH)?.path;
  if (trash === undefined) throw invalidRequest('This account has no Trash folder; move the message to another folder instead');
  if (!sameFolder(trash, options.mailbox)) {
    await move(client, { ...options, to: trash });
    return { expunged: false };
  }
  return withMailbox(
    client,
    options.mailbox,
    async () => {
      await requireMessage(client, options.uid);
      await client.messageDelete(String(options.uid), { uid: true });
      return { expunged: true };
    },
    { write: true },
  );
}

/** INBOX is case-insensitive in IMAP (RFC 3501 §5.1); every other name is as the server lists it. */
function sameFolder(a: string, b: string): boolean {
  return a === b || (a.toUpperCase() === 'INBOX' && b.toUpperCase() === 'INBOX');
}

/** By the server's own folder list: servers word a missing folder in STATUS differently. */
async function requireFolder(folders: ListResponse[], path: string): Promise<void> {
  const folder = folders.find((f) => sameFolder(f.path, path));
  if (!folder || folder.flags.has('\\Noselect') || folder.flags.has('\\NonExistent')) throw new AppError('not_found', 'No such folder to move to');
}
